package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/redact"
	amqp "github.com/rabbitmq/amqp091-go"
)

// handle runs the handlers of one delivery, those subscribed to its event
// name when it got its handler slot, and settles it:
//
//   - every handler returned nil: ack;
//   - one failed, before the last of MaxAttempts attempts: the message is
//     sent to the wait queue with its attempt and error in its headers,
//     then acked. It waits there, in the broker and not in a handler slot,
//     until its TTL (the backoff) ends and the wait queue dead-letters it
//     back into the service queue, where it comes again to the handlers
//     subscribed then (every one of them, not only those that failed);
//   - the last attempt failed, or a handler found the event invalid
//     (eventbus.ErrInvalidEvent): the message is parked (park), with the
//     error.
//
// Before the handlers, a delivery that is not what it claims to be (see
// forgedPublisher) is parked as forged.
//
// Attempts are counted by the handlers' failures, on the message, so a
// delivery that came back unhandled (prefetched when its consumer closed,
// or sent to a process that died) is not a failure. The broker's count of
// deliveries only guards against a message that kills the process each
// time it is handled: after crashLoopDeliveries it is parked unhandled. A
// redelivered message is handled alone (consume.go), so that count is one
// of deaths while it was being handled.
//
// If sending the retry or the parked copy fails (the link went away), the
// delivery is not acked, and the broker delivers it again.
//
// Config.Metrics counts each settled delivery by outcome, and its handlers'
// time; one that comes again is counted when it is settled.
func (c *consumer) handle(link *consLink, d amqp.Delivery, a arrival, subs []*subscription) {
	defer func() {
		for _, s := range subs {
			s.calls.Done()
		}
	}()
	if a.forged = c.forgedPublisher(d, a, subs); a.forged != "" {
		c.parkForged(link, d, a)
		return
	}
	m := message(d, a.name)
	m.Attempt = failedAttempts(d) + 1
	ctx, span := c.startProcess(d, m, m.Attempt)
	log := c.log.With("event", m.Name, "id", m.ID)
	if n := deliveryCount(d); n >= crashLoopDeliveries {
		reason := fmt.Sprintf("delivered %d times without an outcome: does handling it crash the process?", n)
		log.ErrorContext(ctx, "event bus: message delivered too often; parking it in the dead-letter queue",
			"deliveries", n, "dlq", DeadLetterQueue(c.cfg.Queue))
		parked := c.park(link, d, a.name, ReasonCrashLoop, failedAttempts(d), reason)
		c.settled(m.Name, OutcomeDeadLetter, 0, parked)
		endProcess(span, settledAs(OutcomeDeadLetter, parked), errors.New(reason), reasonKey.String(string(ReasonCrashLoop)))
		return
	}

	ctx, skips := eventbus.CountSkips(eventbus.WithCorrelationID(ctx, m.CorrelationID))
	start := time.Now()
	var failure error // the last error, or the first that found the event invalid
	for _, s := range subs {
		if err := call(ctx, s.h, m); err != nil && !errors.Is(failure, eventbus.ErrInvalidEvent) {
			failure = err
		}
	}
	took := time.Since(start)
	switch {
	case failure == nil:
		link.acks.ack(d.DeliveryTag)
		outcome := OutcomeAck
		if int(skips.Load()) == len(subs) {
			outcome = OutcomeDuplicate // every handler had handled it before
		}
		c.settled(m.Name, outcome, took, true)
		endProcess(span, outcome, nil)
	case errors.Is(failure, eventbus.ErrInvalidEvent):
		log.ErrorContext(ctx, "event bus: invalid event; parking it in the dead-letter queue",
			"err", lastError(failure), "dlq", DeadLetterQueue(c.cfg.Queue))
		parked := c.park(link, d, a.name, ReasonInvalid, m.Attempt, lastError(failure))
		c.settled(m.Name, OutcomeDeadLetter, took, parked)
		endProcess(span, settledAs(OutcomeDeadLetter, parked), failure, reasonKey.String(string(ReasonInvalid)))
	case m.Attempt >= c.cfg.MaxAttempts:
		log.ErrorContext(ctx, "event bus: handler failed every attempt; parking the message in the dead-letter queue",
			"attempts", m.Attempt, "err", lastError(failure), "dlq", DeadLetterQueue(c.cfg.Queue))
		parked := c.park(link, d, a.name, ReasonFailed, m.Attempt, lastError(failure))
		c.settled(m.Name, OutcomeDeadLetter, took, parked)
		endProcess(span, settledAs(OutcomeDeadLetter, parked), failure, reasonKey.String(string(ReasonFailed)))
	default:
		delay := retryDelay(c.cfg.RetryBackoff, m.Attempt)
		log.WarnContext(ctx, "event bus: handler failed; retrying", "attempt", m.Attempt, "in", delay.String(), "err", lastError(failure))
		retry := republishing(d, a.name, amqp.Table{headerAttempt: int32(m.Attempt), headerLastError: lastError(failure)})
		retry.Expiration = strconv.FormatInt(delay.Milliseconds(), 10)
		sent := c.sendOn(link, d, waitQueue(c.cfg.Queue), retry)
		c.settled(m.Name, OutcomeRetry, took, sent)
		endProcess(span, settledAs(OutcomeRetry, sent), failure, retryInKey.String(delay.String()))
	}
}

// settled counts a delivery settled with outcome, unless it was not (ok
// false: it comes again, and is counted then).
func (c *consumer) settled(event, outcome string, took time.Duration, ok bool) {
	if ok {
		c.cfg.Metrics.Consumed(event, outcome, took)
	}
}

// park puts a delivery into the dead-letter queue with why (the kind of
// reason and the last error), its failed attempts and when in its headers,
// which ListDeadLetters reads back. Headers cannot be added to a delivery,
// so park sends a copy with them, marked to be parked, back to the service
// queue and acks the delivery; read rejects the copy when it comes
// (without running a handler), and the queue dead-letters it. The copy
// carries none of the broker's x-death history, so the broker records its
// first death as "rejected", whatever way it came before.
func (c *consumer) park(link *consLink, d amqp.Delivery, name string, why ParkReason, attempts int, lastErr string) bool {
	return c.sendOn(link, d, c.cfg.Queue, republishing(d, name, amqp.Table{
		headerAttempt:      int32(attempts),
		headerLastError:    lastErr,
		headerParkedReason: string(why),
		headerParkedAt:     time.Now().UTC().Format(time.RFC3339),
		headerPark:         true,
	}))
}

// sendOn publishes p to queue (the service queue or its wait queue,
// through their requeue exchange) and acks d once the broker confirmed p,
// or leaves d to come again if the link goes away first (false).
func (c *consumer) sendOn(link *consLink, d amqp.Delivery, queue string, p amqp.Publishing) bool {
	confirm, err := link.send.PublishWithDeferredConfirmWithContext(link.ctx, requeueExchange(c.cfg.Queue), queue, false, false, p)
	if err == nil {
		var acked bool
		if acked, err = confirm.WaitContext(link.ctx); err == nil && !acked {
			err = errors.New("broker refused it")
		}
	}
	if err != nil {
		c.log.Warn("event bus: cannot send a message on; it comes again", "queue", queue, "id", d.MessageId, "err", err)
		settle(c.log, link.acks.nack(d.DeliveryTag, true))
		return false
	}
	link.acks.ack(d.DeliveryTag)
	return true
}

// unhandled parks a delivery that no handler came for.
func (c *consumer) unhandled(link *consLink, d amqp.Delivery, a arrival) {
	m := message(d, a.name)
	ctx, span := c.startProcess(d, m, failedAttempts(d)+1)
	c.log.WarnContext(ctx, "event bus: no handler for event; parking it in the dead-letter queue",
		"event", a.name, "id", d.MessageId, "dlq", DeadLetterQueue(c.cfg.Queue))
	reason := "no handler for " + a.name
	parked := c.park(link, d, a.name, ReasonNoHandler, failedAttempts(d), reason)
	c.settled(a.name, OutcomeDeadLetter, 0, parked)
	endProcess(span, settledAs(OutcomeDeadLetter, parked), errors.New(reason), reasonKey.String(string(ReasonNoHandler)))
}

// parkForged parks a delivery that is not what it claims to be (see
// arrive), without running a handler, with why as its reason. Its
// headers are not trusted: its attempts count none.
func (c *consumer) parkForged(link *consLink, d amqp.Delivery, a arrival) {
	m := message(d, a.name)
	ctx, span := c.startProcess(d, m, 1)
	c.log.ErrorContext(ctx, "event bus: forged message; parking it in the dead-letter queue",
		"event", a.name, "id", d.MessageId, "published_by", d.UserId, "why", a.forged, "dlq", DeadLetterQueue(c.cfg.Queue))
	parked := c.park(link, d, a.name, ReasonForged, 0, a.forged)
	c.settled(a.name, OutcomeDeadLetter, 0, parked)
	endProcess(span, settledAs(OutcomeDeadLetter, parked), errors.New(a.forged), reasonKey.String(string(ReasonForged)))
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

// lastError is a handler's error as the bus records it on the message and
// logs it: card numbers and security codes masked (a handler's error may
// quote the event), cut to a size fit for a header.
func lastError(err error) string {
	const limit = 1000
	s := string(redact.CardData([]byte(err.Error())))
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
