package rabbitmq_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
)

// holdUntil blocks a handler call until done is closed. A correct
// Unsubscribe waits for the very call that waits for it here; so the call
// gives up after a while instead of deadlocking the test.
func holdUntil(done <-chan struct{}) {
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// Unsubscribe returns only once no call of its handler runs or will start:
// here the second handler of an event is due to get a message whose first
// handler is still running when the second is unsubscribed.
func TestNoCallOfAHandlerAfterItsUnsubscribeReturned(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	bus := tb.bus(tb.config("basket"))

	running := make(chan struct{}, 1)
	unsubscribed := make(chan struct{})
	first := newSeen()
	if _, err := bus.Subscribe(ctx, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
		select {
		case running <- struct{}{}:
		default:
		}
		holdUntil(unsubscribed)
		return first.handler(ctx, m)
	}); err != nil {
		t.Fatal(err)
	}
	var returned atomic.Bool
	var late atomic.Int32
	second, err := bus.Subscribe(ctx, "PriceChanged", func(context.Context, eventbus.Message) error {
		if returned.Load() {
			late.Add(1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := bus.Publish(ctx, message("PriceChanged")); err != nil {
		t.Fatal(err)
	}
	<-running
	if err := second.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	returned.Store(true)
	close(unsubscribed)
	// The next message starts once the first one is done with.
	if err := bus.Publish(ctx, message("PriceChanged")); err != nil {
		t.Fatal(err)
	}
	first.waitDistinct(t, 2)
	if n := late.Load(); n != 0 {
		t.Errorf("handler called %d times after its Unsubscribe returned", n)
	}
}

// The case of issue 18: with one handler slot, a message waits for the
// slot while its handler is unsubscribed; the handler is not called for it
// afterwards, and the message, left without a handler, is parked with the
// reason.
func TestNoCallAfterUnsubscribeOfAHandlerWhoseMessageWaitsForASlot(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	cfg := tb.config("basket")
	cfg.Concurrency = 1
	cfg.UnhandledGrace = 50 * time.Millisecond
	bus := tb.bus(cfg)

	running := make(chan struct{}, 1)
	unsubscribed := make(chan struct{})
	var returned atomic.Bool
	var late atomic.Int32
	sub, err := bus.Subscribe(ctx, "PriceChanged", func(context.Context, eventbus.Message) error {
		if returned.Load() {
			late.Add(1)
		}
		select {
		case running <- struct{}{}:
		default:
		}
		holdUntil(unsubscribed)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(ctx, message("PriceChanged")); err != nil {
		t.Fatal(err)
	}
	<-running
	waiting := message("PriceChanged")
	if err := bus.Publish(ctx, waiting); err != nil {
		t.Fatal(err)
	}
	raw := tb.raw()
	waitUntil(t, "the second message to reach the consumer", func() bool { return queueDepth(t, raw, cfg.Queue) == 0 })
	if err := sub.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	returned.Store(true)
	close(unsubscribed)

	var parked []rabbitmq.DeadLetter
	waitUntil(t, "the message without a handler to be parked", func() bool {
		parked, err = rabbitmq.ListDeadLetters(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return len(parked) > 0 || late.Load() > 0
	})
	if n := late.Load(); n != 0 {
		t.Errorf("handler called %d times after its Unsubscribe returned", n)
	}
	if len(parked) != 1 || parked[0].ID != waiting.ID || parked[0].Headers["x-last-error"] != "no handler for PriceChanged" {
		t.Errorf("parked %+v, want the waiting message, with the reason", parked)
	}
}
