package outbox

import (
	"context"
	"fmt"
	"sync"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// BatchPublisher is a Publisher that publishes several messages in one
// call: in the order given, with their confirms pipelined, returning nil
// once every one is confirmed. The relay uses PublishBatch when its
// Publisher has it; it is how a batch goes out both fast and in order.
type BatchPublisher interface {
	eventbus.Publisher
	PublishBatch(ctx context.Context, msgs []eventbus.Message) error
}

// publish hands one batch to the publisher and returns nil once all of it
// is confirmed.
func (r *Relay) publish(ctx context.Context, msgs []eventbus.Message) error {
	if bp, ok := r.pub.(BatchPublisher); ok {
		return bp.PublishBatch(ctx, msgs)
	}
	if r.cfg.MaxInFlight == 1 {
		for _, m := range msgs {
			if err := r.pub.Publish(ctx, m); err != nil {
				return err
			}
		}
		return nil
	}
	return publishConcurrently(ctx, r.pub, msgs, r.cfg.MaxInFlight)
}

// publishConcurrently publishes msgs with at most width publishes under
// way, and returns the first error after all have returned.
func publishConcurrently(ctx context.Context, pub eventbus.Publisher, msgs []eventbus.Message, width int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	slots := make(chan struct{}, width)
	var wg sync.WaitGroup
	for _, m := range msgs {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := pub.Publish(ctx, m); err != nil {
				// The batch fails as a whole: stop starting the rest.
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("%d event(s) not all confirmed: %w", len(msgs), err)
	}
	return nil
}
