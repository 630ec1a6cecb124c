package rabbitmq_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
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

// counting starts a bus for the service svc whose handlers of the event
// names count their calls, and returns its configuration and the count.
func (tb testBroker) counting(ctx context.Context, svc string, names ...string) (rabbitmq.Config, *atomic.Int32) {
	tb.t.Helper()
	cfg := tb.config(svc)
	bus := tb.bus(cfg)
	calls := new(atomic.Int32)
	for _, name := range names {
		bustest.Subscribe(tb.t, ctx, bus, name, func(context.Context, eventbus.Message) error {
			calls.Add(1)
			return nil
		})
	}
	return cfg, calls
}

// wantForged fails the test unless the dead-letter queue of cfg holds just
// the message id, parked as forged, and no handler counted a call.
func wantForged(t *testing.T, ctx context.Context, cfg rabbitmq.Config, id uuid.UUID, calls *atomic.Int32) {
	t.Helper()
	parked := waitParked(t, ctx, cfg, 1)
	if p := parked[0]; len(parked) != 1 || p.ID != id || p.Reason != rabbitmq.ReasonForged || p.Attempts != 0 {
		t.Fatalf("parked %+v, want %s alone, reason forged, no attempts", parked, id)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the handlers ran %d times, want 0", n)
	}
}

// Only the bus marks a message to be parked and says why: a publisher
// that sets the bus's headers gets its message parked as forged, and a
// replay that is not told otherwise leaves it parked.
func TestAPlantedDeadLetterIsParkedAsForgedAndNotReplayed(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, calls := tb.counting(ctx, "basket", "PriceChanged")

	planted := bustest.NewMessage("PriceChanged")
	p := testkit.EventMessage(planted.Name, planted.ID.String(), "catalog", planted.Body)
	p.Headers = amqp.Table{"x-park": true, "x-parked-reason": "failed", "x-last-error": "store down", "x-attempt": int32(5)}
	tb.rawPublish(ctx, "PriceChanged", p)

	wantForged(t, ctx, cfg, planted.ID, calls)
	if n, err := rabbitmq.ReplayDeadLetters(ctx, cfg, rabbitmq.Replay{}); err != nil || n != 0 {
		t.Fatalf("replay = %d, %v; want nothing replayed (a forged message is replayed only when asked for)", n, err)
	}
	wantForged(t, ctx, cfg, planted.ID, calls)

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
	cfg, calls := tb.counting(ctx, "catalog", "OrderPaid")

	m := bustest.NewMessage("OrderPaid")
	if err := testkit.Channel(t, "").PublishWithContext(ctx, "", cfg.Queue, false, false,
		testkit.EventMessage(m.Name, m.ID.String(), "ordering", m.Body)); err != nil {
		t.Fatal(err)
	}
	wantForged(t, ctx, cfg, m.ID, calls)
}
