package rabbitmq_test

// Subscribing and unsubscribing while the bus consumes, and the messages
// that meanwhile have no handler.

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestUnsubscribeStopsDelivery(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	bus := tb.bus(cfg)
	first, second := newSeen(), newSeen()
	subFirst := subscribe(t, ctx, bus, "PriceChanged", first.handler)
	subSecond := subscribe(t, ctx, bus, "PriceChanged", second.handler)

	m1 := message("PriceChanged")
	if err := bus.Publish(ctx, m1); err != nil {
		t.Fatal(err)
	}
	first.waitDistinct(t, 1)
	second.waitDistinct(t, 1)

	// One of two handlers goes: the other still gets the event.
	if err := subFirst.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	m2 := message("PriceChanged")
	if err := bus.Publish(ctx, m2); err != nil {
		t.Fatal(err)
	}
	second.waitDistinct(t, 2)
	if first.has(m2.ID) {
		t.Error("unsubscribed handler got an event")
	}

	// The last handler goes: the queue is no longer bound to the event, so
	// the broker does not route it anywhere (a mandatory publish comes back).
	if err := subSecond.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if err := subSecond.Unsubscribe(ctx); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
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

	// Subscribing again binds again.
	third := newSeen()
	subscribe(t, ctx, bus, "PriceChanged", third.handler)
	publish(t, ctx, bus, "PriceChanged", 1)
	third.waitDistinct(t, 1)
	if second.distinct() != 2 {
		t.Errorf("unsubscribed handler got %d events, want 2", second.distinct())
	}
}

// lateCalls counts the calls of a handler that start after its Unsubscribe
// returned.
type lateCalls struct {
	returned atomic.Bool
	n        atomic.Int32
}

// call is the handler's: it counts the call if it is late.
func (l *lateCalls) call() {
	if l.returned.Load() {
		l.n.Add(1)
	}
}

// unsubscribe unsubscribes the handler's sub; calls from then on are late.
func (l *lateCalls) unsubscribe(t testing.TB, ctx context.Context, sub eventbus.Subscription) {
	t.Helper()
	if err := sub.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	l.returned.Store(true)
}

func (l *lateCalls) wantNone(t testing.TB) {
	t.Helper()
	if n := l.n.Load(); n != 0 {
		t.Errorf("handler called %d times after its Unsubscribe returned", n)
	}
}

// Unsubscribe returns only once no call of its handler runs or will start:
// here the second handler of an event is due to get a message whose first
// handler is still running when the second is unsubscribed.
func TestNoCallOfAHandlerAfterItsUnsubscribeReturned(t *testing.T) {
	tb, ctx := newTestBroker(t)
	bus := tb.bus(tb.config("basket"))

	unsubscribed := newGate()
	first := newSeen()
	subscribe(t, ctx, bus, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
		unsubscribed.pass()
		return first.handler(ctx, m)
	})
	var late lateCalls
	second := subscribe(t, ctx, bus, "PriceChanged", func(context.Context, eventbus.Message) error {
		late.call()
		return nil
	})

	publish(t, ctx, bus, "PriceChanged", 1)
	<-unsubscribed.running
	late.unsubscribe(t, ctx, second)
	unsubscribed.open()
	// The next message starts once the first one is done with.
	publish(t, ctx, bus, "PriceChanged", 1)
	first.waitDistinct(t, 2)
	late.wantNone(t)
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

	unsubscribed := newGate()
	var late lateCalls
	sub := subscribe(t, ctx, bus, "PriceChanged", func(context.Context, eventbus.Message) error {
		late.call()
		unsubscribed.pass()
		return nil
	})
	publish(t, ctx, bus, "PriceChanged", 1)
	<-unsubscribed.running
	waiting := message("PriceChanged")
	if err := bus.Publish(ctx, waiting); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the second message to reach the consumer", func() bool { return testkit.QueueLength(t, cfg.Queue) == 0 })
	late.unsubscribe(t, ctx, sub)
	unsubscribed.open()

	var parked []rabbitmq.DeadLetter
	testkit.WaitFor(t, "the message without a handler to be parked", func() bool {
		var err error
		if parked, err = rabbitmq.ListDeadLetters(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		return len(parked) > 0 || late.n.Load() > 0
	})
	late.wantNone(t)
	if len(parked) != 1 || parked[0].ID != waiting.ID || parked[0].Headers["x-last-error"] != "no handler for PriceChanged" {
		t.Errorf("parked %+v, want the waiting message, with the reason", parked)
	}
}

func TestEventsQueuedBeforeTheirHandlerSubscribesWaitForIt(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("ordering")

	// An earlier run of the service bound both events and went away; its
	// queue collected events of both names meanwhile.
	tb.declare(ctx, cfg, "OrderStarted", "OrderPaid")
	publisher := tb.bus(tb.config("catalog"))
	for range 20 {
		for _, name := range []string{"OrderStarted", "OrderPaid"} {
			publish(t, ctx, publisher, name, 1)
		}
	}

	// The new run subscribes its handlers one after the other: deliveries
	// of the second name start before its handler is there.
	started, paid := newSeen(), newSeen()
	bus := tb.bus(cfg)
	subscribe(t, ctx, bus, "OrderStarted", started.handler)
	started.waitDistinct(t, 20)
	subscribe(t, ctx, bus, "OrderPaid", paid.handler)
	paid.waitDistinct(t, 20)
	wantNoDeadLetters(t, ctx, cfg)
}

// A message whose event name has no handler, because an earlier run of the
// service bound the name and this one has no handler for it, waits
// UnhandledGrace for one and is then parked with its reason. While it
// waits it holds no handler slot, so the others flow; it is never
// acknowledged unhandled, so a close hands it back to the queue.
func TestAMessageWithoutAHandlerWaitsThenIsParkedWithItsReason(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("ordering")
	cfg.Concurrency = 1

	tb.declare(ctx, cfg, "OrderStarted", "OrderPaid")
	publisher := tb.bus(tb.config("catalog"))
	const handled, orphans = 20, 10
	var orphanIDs []uuid.UUID
	for i := range handled {
		if i < orphans {
			m := message("OrderPaid")
			orphanIDs = append(orphanIDs, m.ID)
			if err := publisher.Publish(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		publish(t, ctx, publisher, "OrderStarted", 1)
	}

	// This run has a handler for OrderStarted only. With a grace longer
	// than the test, the OrderPaid messages wait all along: the one handler
	// slot still handles every OrderStarted.
	started := newSeen()
	onlyStarted := func(ctx context.Context, m eventbus.Message) error {
		if m.Name != "OrderStarted" {
			t.Errorf("the OrderStarted handler got a %s", m.Name)
		}
		return started.handler(ctx, m)
	}
	waiting := cfg
	waiting.UnhandledGrace = 2 * testkit.Patience
	bus := tb.bus(waiting)
	subscribe(t, ctx, bus, "OrderStarted", onlyStarted)
	started.waitDistinct(t, handled)
	if parked, err := rabbitmq.ListDeadLetters(ctx, cfg); err != nil || len(parked) != 0 {
		t.Fatalf("dead letters while the grace runs: %d, %v; want none", len(parked), err)
	}
	if err := bus.Close(ctx); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the waiting messages back in the queue after the close", func() bool {
		return testkit.QueueLength(t, cfg.Queue) == orphans
	})

	// A run with a short grace parks them, each once, with the reason.
	parking := cfg
	parking.UnhandledGrace = 50 * time.Millisecond
	subscribe(t, ctx, tb.bus(parking), "OrderStarted", onlyStarted)
	parked := waitParked(t, ctx, cfg, orphans)
	var got []uuid.UUID
	for _, m := range parked {
		got = append(got, m.ID)
		if m.Name != "OrderPaid" || m.Reason != rabbitmq.ReasonNoHandler || m.LastError != "no handler for OrderPaid" {
			t.Errorf("parked %s %s for %s %q, want OrderPaid for no-handler \"no handler for OrderPaid\"",
				m.Name, m.ID, m.Reason, m.LastError)
		}
	}
	slices.SortFunc(got, uuidOrder)
	slices.SortFunc(orphanIDs, uuidOrder)
	if !slices.Equal(got, orphanIDs) {
		t.Errorf("parked %v, want each OrderPaid once: %v", got, orphanIDs)
	}
	if n := testkit.QueueLength(t, cfg.Queue); n != 0 {
		t.Errorf("%d messages left in the queue, want none", n)
	}
	if n, d := started.distinct(), started.duplicates(); n != handled || d != 0 {
		t.Errorf("OrderStarted handled %d times (%d twice), want each of %d once", n+d, d, handled)
	}
}

func uuidOrder(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }
