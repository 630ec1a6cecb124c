package rabbitmq_test

// Subscribing and unsubscribing while the bus consumes, and the messages
// that meanwhile have no handler.

import (
	"context"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The binding belongs to the queue: once the last handler of an event
// name went, the queue is no longer bound to it, so the broker routes the
// event nowhere (a mandatory publish comes back), and a new Subscribe binds
// it again. (The conformance suite's SubscribeAndUnsubscribeAtRunTime
// tests what the handlers get meanwhile.)
func TestTheLastUnsubscribeUnbindsTheQueue(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	bus := tb.bus(cfg)
	first := bustest.NewSeen()
	sub := bustest.Subscribe(t, ctx, bus, "PriceChanged", first.Handle)
	bustest.PublishN(t, ctx, bus, "PriceChanged", 1)
	first.WaitDistinct(t, 1)

	if err := sub.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	raw := testkit.Channel(t, "")
	returns := raw.NotifyReturn(make(chan amqp.Return, 1))
	if err := raw.PublishWithContext(ctx, tb.exchange, "PriceChanged", true, false, amqp.Publishing{Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-returns:
		if r.ReplyCode != amqp.NoRoute {
			t.Errorf("publish after the last unsubscribe: returned with %d %s, want NO_ROUTE", r.ReplyCode, r.ReplyText)
		}
	case <-ctx.Done():
		t.Fatal("publish after the last unsubscribe was routed: the queue is still bound")
	}
	if n := testkit.QueueLength(t, cfg.Queue); n != 0 {
		t.Errorf("queue holds %d messages, want 0", n)
	}

	second := bustest.NewSeen()
	bustest.Subscribe(t, ctx, bus, "PriceChanged", second.Handle)
	bustest.PublishN(t, ctx, bus, "PriceChanged", 1)
	second.WaitDistinct(t, 1)
	if first.Distinct() != 1 {
		t.Errorf("unsubscribed handler got %d events, want 1", first.Distinct())
	}
}

// The case of issue 18: with one handler slot, a message waits for the
// slot while its handler is unsubscribed; the handler is not called for it
// afterwards, and the message, left without a handler, is parked with the
// reason.
func TestNoCallAfterUnsubscribeOfAHandlerWhoseMessageWaitsForASlot(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	cfg.Concurrency = 1
	cfg.UnhandledGrace = 50 * time.Millisecond
	bus := tb.bus(cfg)

	unsubscribed := bustest.NewGate()
	var late bustest.LateCalls
	sub := bustest.Subscribe(t, ctx, bus, "PriceChanged", func(context.Context, eventbus.Message) error {
		late.Call()
		unsubscribed.Pass()
		return nil
	})
	bustest.PublishN(t, ctx, bus, "PriceChanged", 1)
	<-unsubscribed.Running
	waiting := bustest.NewMessage("PriceChanged")
	if err := bus.Publish(ctx, waiting); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the second message to reach the consumer", func() bool { return testkit.QueueLength(t, cfg.Queue) == 0 })
	late.Unsubscribe(t, ctx, sub)
	unsubscribed.Open()

	var parked []rabbitmq.DeadLetter
	testkit.WaitFor(t, "the message without a handler to be parked", func() bool {
		var err error
		if parked, err = rabbitmq.ListDeadLetters(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		return len(parked) > 0 || late.Late() > 0
	})
	late.WantNone(t)
	if len(parked) != 1 || parked[0].ID != waiting.ID || parked[0].Headers["x-last-error"] != "no handler for PriceChanged" {
		t.Errorf("parked %+v, want the waiting message, with the reason", parked)
	}
}
