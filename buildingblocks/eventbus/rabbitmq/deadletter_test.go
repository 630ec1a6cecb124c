package rabbitmq_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestFailingHandlerIsParkedWhileOthersFlowAndReplayBringsItBack(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("ordering")
	cfg.MaxAttempts = 3
	// A small window: the events handled while the failing one waits
	// between attempts must be acknowledged (alone, not in a batch behind
	// it), or the broker stops sending after four.
	cfg.Prefetch, cfg.Concurrency = 4, 2
	bus := tb.bus(cfg)

	const good = 100
	flowing := newSeen()
	subscribe(t, ctx, bus, "StockConfirmed", flowing.handler)
	othersDone := make(chan struct{})
	var healthy atomic.Bool
	var mu sync.Mutex
	var attempts []int
	handled := make(chan eventbus.Message, 1)
	subscribe(t, ctx, bus, "PaymentSucceeded", func(ctx context.Context, m eventbus.Message) error {
		if healthy.Load() {
			handled <- m
			return nil
		}
		mu.Lock()
		attempts = append(attempts, m.Attempt)
		mu.Unlock()
		if m.Attempt == 2 {
			// While this message is being retried, the others go on: the
			// second attempt fails only once all of them were handled.
			select {
			case <-othersDone:
			case <-ctx.Done():
			}
		}
		if m.Attempt == 3 {
			panic("a panicking handler is a failing handler")
		}
		return errors.New("payment service unavailable")
	})

	poison := message("PaymentSucceeded")
	poison.CorrelationID = "req-7"
	if err := bus.Publish(ctx, poison); err != nil {
		t.Fatal(err)
	}
	publish(t, ctx, bus, "StockConfirmed", good)
	flowing.waitDistinct(t, good)
	close(othersDone)

	parked := waitParked(t, ctx, cfg, 1)
	if len(parked) != 1 || parked[0].ID != poison.ID || parked[0].Name != poison.Name ||
		parked[0].CorrelationID != "req-7" || parked[0].Headers["x-first-death-reason"] != "rejected" {
		t.Fatalf("dead letters = %+v, want the one poison message, rejected", parked)
	}
	// It records why, after how many attempts, and when.
	if p := parked[0]; p.Reason != rabbitmq.ReasonFailed || p.Attempts != 3 ||
		!strings.Contains(p.LastError, "a panicking handler is a failing handler") || p.ParkedAt.IsZero() {
		t.Errorf("parked with reason %q, %d attempts, last error %q, at %v; want failed, 3, the panic, a time",
			p.Reason, p.Attempts, p.LastError, p.ParkedAt)
	}
	mu.Lock()
	if !slices.Equal(attempts, []int{1, 2, 3}) {
		t.Errorf("attempts = %v, want [1 2 3]", attempts)
	}
	mu.Unlock()
	// Listing leaves the message where it is.
	if again, err := rabbitmq.ListDeadLetters(ctx, cfg); err != nil || len(again) != 1 {
		t.Fatalf("second listing = %d messages, %v; want the same one", len(again), err)
	}

	healthy.Store(true)
	n, err := rabbitmq.ReplayDeadLetters(ctx, cfg, rabbitmq.Replay{})
	if err != nil || n != 1 {
		t.Fatalf("ReplayDeadLetters = %d, %v; want 1", n, err)
	}
	select {
	case m := <-handled:
		if m.ID != poison.ID || m.Attempt != 1 || m.CorrelationID != "req-7" {
			t.Errorf("replayed message handled as %+v, want id %s, attempt 1, correlation req-7", m, poison.ID)
		}
		for _, h := range []string{"x-last-error", "x-parked-reason", "x-parked-at"} {
			if v, ok := m.Headers[h]; ok {
				t.Errorf("replayed message carries %s: %q; want it started afresh", h, v)
			}
		}
	case <-ctx.Done():
		t.Fatal("replayed message not handled")
	}
	wantNoDeadLetters(t, ctx, cfg)
}

func TestMessageDeliveredTooOftenIsParkedWithoutRunningTheHandler(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("catalog")
	cfg.MaxAttempts = 3

	// The queue exists (a subscriber declared it) and holds a message that
	// was delivered CrashLoopDeliveries times to consumers that died before
	// they acknowledged it, like a message that crashes its service each
	// time.
	tb.declare(ctx, cfg, "OrderPaid")
	deadly := message("OrderPaid")
	tb.rawPublish(ctx, deadly.Name, amqp.Publishing{
		Type: deadly.Name, MessageId: deadly.ID.String(), Body: deadly.Body, DeliveryMode: amqp.Persistent,
		UserId: testkit.RabbitUser(),
	})
	for range rabbitmq.CrashLoopDeliveries {
		conn, err := amqp.Dial(cfg.URL)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, "the message", func() bool {
			_, ok, err := ch.Get(cfg.Queue, false)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		})
		conn.Close()
	}

	var calls atomic.Int32
	subscribe(t, ctx, tb.bus(cfg), "OrderPaid", func(context.Context, eventbus.Message) error {
		calls.Add(1)
		return nil
	})
	parked := waitParked(t, ctx, cfg, 1)
	if len(parked) != 1 || parked[0].ID != deadly.ID {
		t.Fatalf("parked %+v, want the message", parked)
	}
	if p := parked[0]; p.Reason != rabbitmq.ReasonCrashLoop || !strings.Contains(p.LastError, "delivered") || p.ParkedAt.IsZero() {
		t.Errorf("parked with reason %q, last error %q, at %v; want crash-loop, the deliveries, a time", p.Reason, p.LastError, p.ParkedAt)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handler ran %d times, want 0", n)
	}
}

func TestDeadLetterFunctionsNeedTheQueue(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("nobody")
	if _, err := rabbitmq.ListDeadLetters(ctx, cfg); err == nil {
		t.Error("ListDeadLetters of a queue that does not exist succeeded")
	}
	if _, err := rabbitmq.ReplayDeadLetters(ctx, cfg, rabbitmq.Replay{}); err == nil {
		t.Error("ReplayDeadLetters of a queue that does not exist succeeded")
	}
	cfg.Queue = ""
	if _, err := rabbitmq.ListDeadLetters(ctx, cfg); err == nil {
		t.Error("ListDeadLetters without a queue succeeded")
	}
}

// Listing puts the messages back, and they are there again when it
// returns: listing right after listing finds them every time. (The broker
// puts them back asynchronously; before ListDeadLetters waited for that,
// about one listing in 300 here came back empty.)
func TestListingRightAfterListingFindsTheMessagesEveryTime(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("ordering")
	cfg.MaxAttempts = 1
	bus := tb.bus(cfg)
	subscribe(t, ctx, bus, "Poison", func(context.Context, eventbus.Message) error { return errors.New("no") })
	publish(t, ctx, bus, "Poison", 1)
	waitParked(t, ctx, cfg, 1)
	misses := 0
	for range 300 {
		p, err := rabbitmq.ListDeadLetters(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 1 {
			misses++
		}
	}
	if misses > 0 {
		t.Fatalf("%d of 300 listings found no message, want the parked one every time", misses)
	}
}
