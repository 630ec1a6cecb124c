package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/cenkalti/backoff/v5"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	amqp "github.com/rabbitmq/amqp091-go"
)

// handle runs the handlers of one delivery, those subscribed to its event
// name when it got its handler slot, and settles it:
//
//   - every handler returned nil: ack;
//   - some failed: they (only they) are tried again after a growing delay,
//     in this goroutine, while the other deliveries keep flowing;
//   - the last of MaxAttempts attempts failed: nack without requeue, and the
//     queue dead-letters it to "<queue>.dlq".
//
// Attempts are counted from the queue's x-delivery-count, so deliveries
// before a crash or a lost connection count as well: a message that kills
// the process every time it is handled is parked after MaxAttempts
// deliveries without running the handler once more.
//
// When the link is lost or the bus closes, handle stops retrying and leaves
// the message to the broker, which delivers it again.
func (c *consumer) handle(link *consLink, d amqp.Delivery, subs []*subscription) {
	defer func() {
		for _, s := range subs {
			s.calls.Done()
		}
	}()
	pending := slices.Clone(subs)
	m := message(d)
	log := c.log.With("event", m.Name, "id", m.ID)
	prior := deliveryCount(d)
	if prior >= c.cfg.MaxAttempts {
		log.Error("event bus: message delivered too often; parking it in the dead-letter queue",
			"deliveries", prior, "dlq", DeadLetterQueue(c.cfg.Queue))
		settle(log, link.acks.nack(d.DeliveryTag, false))
		return
	}

	ctx := eventbus.WithCorrelationID(c.handlerCtx, m.CorrelationID)
	m.Attempt = prior
	_, err := backoff.Retry(link.ctx, func() (struct{}, error) {
		m.Attempt++
		var failure error
		var failed []*subscription
		for _, s := range pending {
			if err := call(ctx, s.h, m); err != nil {
				failure = err
				failed = append(failed, s)
			}
		}
		if failure != nil && m.Attempt < c.cfg.MaxAttempts {
			log.Warn("event bus: handler failed; retrying", "attempt", m.Attempt, "err", failure)
		}
		pending = c.stillSubscribed(m.Name, failed)
		return struct{}{}, failure
	}, backoff.WithBackOff(retryBackoff(c.cfg.RetryBackoff)), backoff.WithMaxTries(uint(c.cfg.MaxAttempts-prior)), backoff.WithMaxElapsedTime(0))
	switch {
	case err == nil:
		link.acks.ack(d.DeliveryTag)
	case link.ctx.Err() != nil:
		settle(log, link.acks.nack(d.DeliveryTag, true))
	default:
		log.Error("event bus: handler failed every attempt; parking the message in the dead-letter queue",
			"attempts", m.Attempt, "err", err, "dlq", DeadLetterQueue(c.cfg.Queue))
		settle(log, link.acks.nack(d.DeliveryTag, false))
	}
}

// unhandled settles a delivery that no handler came for: back to the queue
// if the link is lost or the bus closes, else to the dead-letter queue.
func (c *consumer) unhandled(link *consLink, d amqp.Delivery) {
	if link.ctx.Err() != nil {
		settle(c.log, link.acks.nack(d.DeliveryTag, true))
		return
	}
	c.log.Warn("event bus: no handler for event; parking it in the dead-letter queue",
		"event", eventName(d), "id", d.MessageId, "dlq", DeadLetterQueue(c.cfg.Queue))
	settle(c.log, link.acks.nack(d.DeliveryTag, false))
}

// call runs a handler, turning a panic into an error.
func call(ctx context.Context, h eventbus.Handler, m eventbus.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(ctx, m)
}

// settle logs a failed ack or nack: the channel went away, and the broker
// will deliver the message again.
func settle(log *slog.Logger, err error) {
	if err != nil && !errors.Is(err, amqp.ErrClosed) {
		log.Debug("event bus: cannot settle delivery", "err", err)
	}
}

// stillSubscribed drops from subs the handlers unsubscribed meanwhile.
func (c *consumer) stillSubscribed(eventName string, subs []*subscription) []*subscription {
	current := c.handlersOf(eventName)
	return slices.DeleteFunc(subs, func(s *subscription) bool { return !slices.Contains(current, s) })
}
