package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// DeadLetter is a message parked in a dead-letter queue, with why and when.
type DeadLetter struct {
	// Message is the parked message, under the name of the event it
	// stands for (the routed name). Its Headers include the broker's
	// string headers, e.g. x-first-death-reason ("rejected" for whatever
	// the consumer parked).
	eventbus.Message
	// Reason is the kind of reason the consumer parked it for; empty if
	// something else put it there, whose headers are not trusted (then
	// LastError, Attempts and ParkedAt are empty too).
	Reason ParkReason
	// PublishedBy is the broker user that published it (its user_id).
	PublishedBy string
	// LastError is the last handler's error (card data masked, cut to 1,000 bytes), or the
	// consumer's account of a crash loop or a missing handler.
	LastError string
	// Attempts is how many attempts to handle it failed.
	Attempts int
	// ParkedAt is when the consumer parked it, to the second, in UTC; zero
	// if unknown.
	ParkedAt time.Time
}

// ParkReason is the kind of reason a message was parked for.
type ParkReason string

// The reasons a consumer parks a message for.
const (
	// ReasonFailed: a handler failed on every one of MaxAttempts attempts.
	ReasonFailed ParkReason = "failed"
	// ReasonInvalid: a handler found the event invalid
	// (eventbus.ErrInvalidEvent), parked at once.
	ReasonInvalid ParkReason = "invalid"
	// ReasonCrashLoop: delivered so often without an outcome that handling
	// it seems to crash the process; parked unhandled.
	ReasonCrashLoop ParkReason = "crash-loop"
	// ReasonNoHandler: no handler came for its event name.
	ReasonNoHandler ParkReason = "no-handler"
	// ReasonForged: not what it claims to be: typed as another event than
	// the one it was routed as, published by a user that is not its
	// event's publisher's, carrying headers only the bus writes, or come
	// around the bus's exchange (see arrive). Parked unhandled.
	ReasonForged ParkReason = "forged"
)

// replayedByDefault are the reasons of the messages a replay that names
// neither reasons nor ids moves back: not a forged message, nor one that
// seemed to crash the service, nor one the bus did not park.
var replayedByDefault = []ParkReason{ReasonFailed, ReasonInvalid, ReasonNoHandler}

// deadLetter maps a delivery from the dead-letter queue of queue to a
// DeadLetter. Its reason headers are read only if the bus parked it: the
// broker dead-lettered it, rejected, from queue, where it had come
// through the queue's requeue exchange, which only the service's user may
// write to, and only the bus sends a copy marked to be parked (see
// arrive).
func deadLetter(d amqp.Delivery, queue string) DeadLetter {
	name := stringHeader(d, headerEventName)
	if name == "" {
		name = d.Type
	}
	dl := DeadLetter{Message: message(d, name), PublishedBy: publishedBy(d)}
	if stringHeader(d, "x-first-death-exchange") != requeueExchange(queue) ||
		stringHeader(d, "x-first-death-queue") != queue || stringHeader(d, "x-first-death-reason") != "rejected" {
		return dl
	}
	dl.Attempts = failedAttempts(d)
	dl.Reason = ParkReason(stringHeader(d, headerParkedReason))
	dl.LastError = stringHeader(d, headerLastError)
	if at, err := time.Parse(time.RFC3339, stringHeader(d, headerParkedAt)); err == nil {
		dl.ParkedAt = at.UTC()
	}
	return dl
}

// ListDeadLetters returns the messages parked in the dead-letter queue of
// cfg.Queue, oldest first, and leaves them there.
func ListDeadLetters(ctx context.Context, cfg Config) ([]DeadLetter, error) {
	var parked []DeadLetter
	err := withDeadLetters(ctx, cfg, "-dlq-list", func(ch *amqp.Channel, dlq string, n int) error {
		// Get without ack: each message stays unacknowledged, so the next
		// Get returns the next one; then all of them are put back.
		var last uint64
		if err := eachParked(ctx, ch, dlq, n, func(d amqp.Delivery) error {
			parked = append(parked, deadLetter(d, cfg.Queue))
			last = d.DeliveryTag
			return nil
		}); err != nil || len(parked) == 0 {
			return err
		}
		if err := ch.Nack(last, true, true); err != nil {
			return fmt.Errorf("put back into %s: %w", dlq, err)
		}
		// A quorum queue takes returned messages back asynchronously: wait
		// until they are there again, so that whoever lists or replays next
		// finds them.
		return waitForReady(ctx, ch, dlq, len(parked))
	})
	return parked, err
}

// waitForReady waits until queue holds at least n ready messages, polling,
// bounded by ctx and by returnWait.
func waitForReady(ctx context.Context, ch *amqp.Channel, queue string, n int) error {
	deadline := time.Now().Add(returnWait)
	for {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", queue, err)
		}
		if q.Messages >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d listed messages are not back in %s after %s", n-q.Messages, queue, returnWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// returnWait bounds how long ListDeadLetters waits for the broker to put
// the listed messages back.
const returnWait = 10 * time.Second

// Replay chooses the parked messages a replay moves back: those with one
// of Reasons or one of IDs. The zero Replay chooses those parked as
// failed, invalid or without a handler; a forged message, one that seemed
// to crash the service and one the bus did not park move only when named.
type Replay struct {
	Reasons []ParkReason
	IDs     []uuid.UUID
}

// chooses reports whether the replay moves dl back.
func (r Replay) chooses(dl DeadLetter) bool {
	if len(r.Reasons) == 0 && len(r.IDs) == 0 {
		return slices.Contains(replayedByDefault, dl.Reason)
	}
	return slices.Contains(r.Reasons, dl.Reason) || slices.Contains(r.IDs, dl.ID)
}

// ReplayDeadLetters moves the messages that which chooses from the
// dead-letter queue of cfg.Queue back to that queue only (through its
// requeue exchange, as the bus itself sends messages on: they come as
// the event they were routed as), and returns how many it moved. The
// others stay parked. A replayed message starts afresh, without the
// bookkeeping of its earlier attempts and deaths, and is handled as the
// bus's own: an operator who replays a forged message has vouched for it.
// Each message is removed from the dead-letter queue only after the
// broker confirmed its copy, so a failure midway loses nothing (a message
// may at worst be in both queues). Messages parked while it runs are left
// for the next replay.
func ReplayDeadLetters(ctx context.Context, cfg Config, which Replay) (int, error) {
	replayed := 0
	err := withDeadLetters(ctx, cfg, "-dlq-replay", func(ch *amqp.Channel, dlq string, n int) error {
		if err := ch.Confirm(false); err != nil {
			return fmt.Errorf("confirm mode: %w", err)
		}
		returned := ch.NotifyReturn(make(chan amqp.Return, 1))
		var kept uint64 // the newest message left parked, to put back
		err := eachParked(ctx, ch, dlq, n, func(d amqp.Delivery) error {
			dl := deadLetter(d, cfg.Queue)
			if !which.chooses(dl) {
				kept = d.DeliveryTag
				return nil
			}
			confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, requeueExchange(cfg.Queue), cfg.Queue, true, false, republishing(d, dl.Name, nil))
			if err != nil {
				return fmt.Errorf("publish to %s: %w", cfg.Queue, err)
			}
			acked, err := confirm.WaitContext(ctx)
			if err != nil {
				return err
			}
			select {
			case r := <-returned:
				return fmt.Errorf("publish to %s: returned: %s", cfg.Queue, r.ReplyText)
			default:
			}
			if !acked {
				return fmt.Errorf("publish to %s: broker refused the message", cfg.Queue)
			}
			if err := d.Ack(false); err != nil {
				return fmt.Errorf("remove from %s: %w", dlq, err)
			}
			replayed++
			return nil
		})
		if err != nil || kept == 0 {
			return err
		}
		// Put back what stays parked (multiple: every unacknowledged one up
		// to it), and wait until it is there again, as a listing does.
		if err := ch.Nack(kept, true, true); err != nil {
			return fmt.Errorf("put back into %s: %w", dlq, err)
		}
		return waitForReady(ctx, ch, dlq, n-replayed)
	})
	return replayed, err
}

// eachParked gets the n messages parked in dlq one by one, without
// acknowledging them, and calls f with each, until dlq is empty, ctx ends
// or f fails.
func eachParked(ctx context.Context, ch *amqp.Channel, dlq string, n int, f func(amqp.Delivery) error) error {
	for range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, ok, err := ch.Get(dlq, false)
		if err != nil {
			return fmt.Errorf("get from %s: %w", dlq, err)
		}
		if !ok {
			return nil
		}
		if err := f(d); err != nil {
			return err
		}
	}
	return nil
}

// withDeadLetters connects, checks that the service queue and its
// dead-letter queue exist, and runs f with the number of messages parked.
func withDeadLetters(ctx context.Context, cfg Config, connSuffix string, f func(ch *amqp.Channel, dlq string, n int) error) error {
	cfg = cfg.withDefaults()
	if cfg.Queue == "" {
		return errors.New("rabbitmq: dead letters: Config.Queue is not set")
	}
	dlq := DeadLetterQueue(cfg.Queue)
	conn, err := dial(cfg.URL, cfg.AppID+connSuffix)
	if err != nil {
		return fmt.Errorf("rabbitmq: dead letters: dial: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("rabbitmq: dead letters: %w", err)
	}
	if _, err := ch.QueueDeclarePassive(cfg.Queue, true, false, false, false, nil); err != nil {
		return fmt.Errorf("rabbitmq: dead letters: queue %s: %w", cfg.Queue, err)
	}
	q, err := ch.QueueDeclarePassive(dlq, true, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("rabbitmq: dead letters: queue %s: %w", dlq, err)
	}
	if err := f(ch, dlq, q.Messages); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fmt.Errorf("rabbitmq: dead letters of %s: %w", cfg.Queue, err)
	}
	return nil
}

// DeadLetterCount returns how many messages are parked in the dead-letter
// queue of cfg.Queue (a passive declare on a connection of its own, closed
// when ctx ends).
func DeadLetterCount(ctx context.Context, cfg Config) (int, error) {
	var count int
	err := withDeadLetters(ctx, cfg, "-metrics", func(_ *amqp.Channel, _ string, n int) error {
		count = n
		return nil
	})
	return count, err
}
