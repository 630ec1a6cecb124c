package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	amqp "github.com/rabbitmq/amqp091-go"
)

// handle runs the handlers of one delivery (pending: a copy of them) and
// settles it:
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
func (c *consumer) handle(link *consLink, d amqp.Delivery, pending map[uint64]eventbus.Handler) {
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
	for attempt := prior + 1; ; attempt++ {
		m.Attempt = attempt
		var failure error
		for id, h := range pending {
			if err := call(ctx, h, m); err != nil {
				failure = err
			} else {
				delete(pending, id)
			}
		}
		if len(pending) == 0 {
			link.acks.ack(d.DeliveryTag)
			return
		}
		if attempt >= c.cfg.MaxAttempts {
			log.Error("event bus: handler failed every attempt; parking the message in the dead-letter queue",
				"attempts", attempt, "err", failure, "dlq", DeadLetterQueue(c.cfg.Queue))
			settle(log, link.acks.nack(d.DeliveryTag, false))
			return
		}
		delay := retryDelay(c.cfg.RetryBackoff, attempt-prior)
		log.Warn("event bus: handler failed; retrying", "attempt", attempt, "in", delay, "err", failure)
		if !c.pause(link, delay) {
			settle(log, link.acks.nack(d.DeliveryTag, true))
			return
		}
		pending = c.stillSubscribed(m.Name, pending)
		if len(pending) == 0 {
			link.acks.ack(d.DeliveryTag)
			return
		}
	}
}

// unhandled settles a delivery that no handler came for: back to the queue
// if the link is lost or the bus closes, else to the dead-letter queue.
func (c *consumer) unhandled(link *consLink, d amqp.Delivery) {
	if c.interrupted(link) {
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

// handlersOf returns a copy of the handlers of an event name.
func (c *consumer) handlersOf(eventName string) map[uint64]eventbus.Handler {
	c.mu.Lock()
	defer c.mu.Unlock()
	hs := make(map[uint64]eventbus.Handler, len(c.handlers[eventName]))
	for id, h := range c.handlers[eventName] {
		hs[id] = h
	}
	return hs
}

// stillSubscribed drops from pending the handlers unsubscribed meanwhile.
func (c *consumer) stillSubscribed(eventName string, pending map[uint64]eventbus.Handler) map[uint64]eventbus.Handler {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range pending {
		if _, ok := c.handlers[eventName][id]; !ok {
			delete(pending, id)
		}
	}
	return pending
}

// awaitHandlers waits a while for a handler of eventName: at startup a
// service subscribes its handlers one by one, and the queue may already
// hold messages for those that come next.
func (c *consumer) awaitHandlers(link *consLink, eventName string) map[uint64]eventbus.Handler {
	deadline := time.NewTimer(unhandledGrace)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		changed := c.subsChanged
		c.mu.Unlock()
		if hs := c.handlersOf(eventName); len(hs) > 0 {
			return hs
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil
		case <-link.lost:
			return nil
		case <-c.stop:
			return nil
		}
	}
}

// pause waits d unless the link is lost or the bus closes.
func (c *consumer) pause(link *consLink, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-link.lost:
		return false
	case <-c.stop:
		return false
	}
}

func (c *consumer) interrupted(link *consLink) bool {
	select {
	case <-link.lost:
		return true
	case <-c.stop:
		return true
	default:
		return false
	}
}
