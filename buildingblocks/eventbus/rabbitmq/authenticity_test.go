package rabbitmq_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// rawPublish publishes p to the test's exchange with routingKey, as guest,
// and waits for the broker's confirm.
func (tb testBroker) rawPublish(ctx context.Context, routingKey string, p amqp.Publishing) {
	tb.t.Helper()
	ch := testkit.Channel(tb.t, tb.prefix+"-raw")
	if err := ch.Confirm(false); err != nil {
		tb.t.Fatal(err)
	}
	confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, tb.exchange, routingKey, false, false, p)
	if err != nil {
		tb.t.Fatal(err)
	}
	if ok, err := confirm.WaitContext(ctx); err != nil || !ok {
		tb.t.Fatalf("publish %s: confirmed %v, %v", routingKey, ok, err)
	}
}

// counter counts the calls of a handler.
func counter(n *atomic.Int32) eventbus.Handler {
	return func(context.Context, eventbus.Message) error {
		n.Add(1)
		return nil
	}
}

// A message routed as one event but typed as another is parked as forged:
// the consumer dispatches on the name the broker routed, which the
// broker authorised, never on the type the publisher wrote. (Before, it
// dispatched on the type: basket's user, which may publish checkouts,
// confirmed an order's stock.)
func TestAMessageWhoseTypeIsNotItsRoutedNameIsParkedAsForged(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("ordering")
	bus := tb.bus(cfg)
	var checkouts, confirmations atomic.Int32
	subscribe(t, ctx, bus, "UserCheckoutAccepted", counter(&checkouts))
	subscribe(t, ctx, bus, "OrderStockConfirmed", counter(&confirmations))

	forged := message("OrderStockConfirmed")
	tb.rawPublish(ctx, "UserCheckoutAccepted", testkit.EventMessage(forged.Name, forged.ID.String(), "basket", forged.Body))

	parked := waitParked(t, ctx, cfg, 1)
	if p := parked[0]; len(parked) != 1 || p.ID != forged.ID || p.Reason != rabbitmq.ReasonForged {
		t.Fatalf("parked %+v, want the forged message, reason forged", parked)
	}
	if c, s := checkouts.Load(), confirmations.Load(); c != 0 || s != 0 {
		t.Errorf("handlers ran: %d checkouts, %d stock confirmations; want none", c, s)
	}
}

// Only the bus marks a message to be parked and says why: a publisher
// that sets the bus's headers gets its message parked as forged, and a
// replay that is not told otherwise leaves it parked.
func TestAPlantedDeadLetterIsParkedAsForgedAndNotReplayed(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	bus := tb.bus(cfg)
	var calls atomic.Int32
	subscribe(t, ctx, bus, "PriceChanged", counter(&calls))

	planted := message("PriceChanged")
	p := testkit.EventMessage(planted.Name, planted.ID.String(), "catalog", planted.Body)
	p.Headers = amqp.Table{"x-park": true, "x-parked-reason": "failed", "x-last-error": "store down", "x-attempt": int32(5)}
	tb.rawPublish(ctx, "PriceChanged", p)

	parked := waitParked(t, ctx, cfg, 1)
	if d := parked[0]; len(parked) != 1 || d.ID != planted.ID || d.Reason != rabbitmq.ReasonForged || d.Attempts != 0 {
		t.Fatalf("parked %+v, want the planted message, reason forged, no attempts", parked)
	}
	if n, err := rabbitmq.ReplayDeadLetters(ctx, cfg, rabbitmq.Replay{}); err != nil || n != 0 {
		t.Fatalf("replay = %d, %v; want nothing replayed (a forged message is replayed only when asked for)", n, err)
	}
	if again := waitParked(t, ctx, cfg, 1); len(again) != 1 {
		t.Fatalf("after the replay %d parked, want the planted message still there", len(again))
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handler ran %d times, want 0", n)
	}

	// Named by its id, it is replayed: the operator vouches for it, and it
	// comes as the event it was routed as.
	if n, err := rabbitmq.ReplayDeadLetters(ctx, cfg, rabbitmq.Replay{IDs: []uuid.UUID{planted.ID}}); err != nil || n != 1 {
		t.Fatalf("replay by id = %d, %v; want 1", n, err)
	}
	testkit.WaitFor(t, "the replayed message handled", func() bool { return calls.Load() == 1 })
	wantNoDeadLetters(t, ctx, cfg)
}

// A message that arrives through an exchange other than the bus's (here
// the default exchange, straight into the queue) is parked as forged.
func TestAMessageAroundTheExchangeIsParkedAsForged(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("catalog")
	bus := tb.bus(cfg)
	var calls atomic.Int32
	subscribe(t, ctx, bus, "OrderPaid", counter(&calls))

	m := message("OrderPaid")
	if err := testkit.Channel(t, "").PublishWithContext(ctx, "", cfg.Queue, false, false,
		testkit.EventMessage(m.Name, m.ID.String(), "ordering", m.Body)); err != nil {
		t.Fatal(err)
	}
	parked := waitParked(t, ctx, cfg, 1)
	if d := parked[0]; len(parked) != 1 || d.ID != m.ID || d.Reason != rabbitmq.ReasonForged {
		t.Fatalf("parked %+v, want the message, reason forged", parked)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handler ran %d times, want 0", n)
	}
}
