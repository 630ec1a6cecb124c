package outbox

import (
	"context"

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

// publish hands one batch to the publisher and returns how many of its
// messages, from the first, the broker confirmed; err is nil only when all
// were.
func (r *Relay) publish(ctx context.Context, msgs []eventbus.Message) (confirmed int, err error) {
	if bp, ok := r.pub.(BatchPublisher); ok {
		// All or nothing: an error leaves the whole batch to be retried.
		if err := bp.PublishBatch(ctx, msgs); err != nil {
			return 0, err
		}
		return len(msgs), nil
	}
	// One after the other, each after the previous one's confirm: stop at
	// the first failure, so that the next attempt starts with it.
	for i, m := range msgs {
		if err := r.pub.Publish(ctx, m); err != nil {
			return i, err
		}
	}
	return len(msgs), nil
}
