package rabbitmq_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/google/uuid"
)

// A message whose event name has no handler, because an earlier run of the
// service bound the name and this one has no handler for it, waits
// UnhandledGrace for one and is then parked with its reason. While it
// waits it holds no handler slot, so the others flow; it is never
// acknowledged unhandled, so a close hands it back to the queue.
func TestAMessageWithoutAHandlerWaitsThenIsParkedWithItsReason(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	cfg := tb.config("ordering")
	cfg.Concurrency = 1

	earlier := tb.bus(cfg)
	for _, name := range []string{"OrderStarted", "OrderPaid"} {
		if _, err := earlier.Subscribe(ctx, name, newSeen().handler); err != nil {
			t.Fatal(err)
		}
	}
	if err := earlier.Close(ctx); err != nil {
		t.Fatal(err)
	}
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
		if err := publisher.Publish(ctx, message("OrderStarted")); err != nil {
			t.Fatal(err)
		}
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
	waiting.UnhandledGrace = 2 * patience
	bus := tb.bus(waiting)
	if _, err := bus.Subscribe(ctx, "OrderStarted", onlyStarted); err != nil {
		t.Fatal(err)
	}
	started.waitDistinct(t, handled)
	if parked, err := rabbitmq.ListDeadLetters(ctx, cfg); err != nil || len(parked) != 0 {
		t.Fatalf("dead letters while the grace runs: %d, %v; want none", len(parked), err)
	}
	if err := bus.Close(ctx); err != nil {
		t.Fatal(err)
	}
	raw := tb.raw()
	waitUntil(t, "the waiting messages back in the queue after the close", func() bool {
		return queueDepth(t, raw, cfg.Queue) == orphans
	})

	// A run with a short grace parks them, each once, with the reason.
	parking := cfg
	parking.UnhandledGrace = 50 * time.Millisecond
	if _, err := tb.bus(parking).Subscribe(ctx, "OrderStarted", onlyStarted); err != nil {
		t.Fatal(err)
	}
	var parked []rabbitmq.DeadLetter
	waitUntil(t, "the messages without a handler to be parked", func() bool {
		var err error
		if parked, err = rabbitmq.ListDeadLetters(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		return len(parked) >= orphans
	})
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
	if n := queueDepth(t, raw, cfg.Queue); n != 0 {
		t.Errorf("%d messages left in the queue, want none", n)
	}
	if n, d := started.distinct(), started.duplicates(); n != handled || d != 0 {
		t.Errorf("OrderStarted handled %d times (%d twice), want each of %d once", n+d, d, handled)
	}
}

func uuidOrder(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }
