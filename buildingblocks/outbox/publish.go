package outbox

import (
	"context"
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

// publish hands one batch to the publisher and reports which messages
// the broker confirmed; err is nil only when all were.
func (r *Relay) publish(ctx context.Context, msgs []eventbus.Message) (confirmed []bool, err error) {
	confirmed = make([]bool, len(msgs))
	if bp, ok := r.pub.(BatchPublisher); ok {
		// All or nothing: an error leaves the whole batch to be retried.
		if err := bp.PublishBatch(ctx, msgs); err != nil {
			return confirmed, err
		}
		for i := range confirmed {
			confirmed[i] = true
		}
		return confirmed, nil
	}
	if r.cfg.MaxInFlight == 1 {
		// In order: stop at the first failure, so that the next attempt
		// starts with it.
		for i, m := range msgs {
			if err := r.pub.Publish(ctx, m); err != nil {
				return confirmed, err
			}
			confirmed[i] = true
		}
		return confirmed, nil
	}
	return confirmed, publishConcurrently(ctx, r.pub, msgs, r.cfg.MaxInFlight, confirmed)
}

// publishConcurrently publishes msgs with at most width publishes under
// way, setting confirmed[i] for each that succeeded, and returns the first
// error after all have returned. After a failure it starts no more.
func publishConcurrently(ctx context.Context, pub eventbus.Publisher, msgs []eventbus.Message, width int, confirmed []bool) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	slots := make(chan struct{}, width)
	var wg sync.WaitGroup
	for i, m := range msgs {
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
				cancel(err)
				return
			}
			confirmed[i] = true
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}
