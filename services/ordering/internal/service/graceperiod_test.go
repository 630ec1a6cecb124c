package service_test

import (
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
	"github.com/google/uuid"
)

func TestPollIntervalFollowsTheGracePeriod(t *testing.T) {
	for grace, want := range map[time.Duration]time.Duration{
		0:                      100 * time.Millisecond,
		200 * time.Millisecond: 100 * time.Millisecond,
		2 * time.Second:        500 * time.Millisecond,
		time.Minute:            5 * time.Second,
	} {
		w := service.GracePeriodWorker{GracePeriod: grace}
		if got := w.PollInterval(); got != want {
			t.Errorf("grace period %s: poll every %s, want %s", grace, got, want)
		}
	}
}

// Two ordering processes on one database and one queue: every order's grace
// period ends once, with one AwaitingValidation event.
func TestTwoProcessesMoveEachOrderOnce(t *testing.T) {
	exchange, prefix := testkit.Broker(t)
	env := map[string]string{
		"DATABASE_URL": testkit.NewDatabase(t), "GRACE_PERIOD": "100ms",
		"EVENTBUS_EXCHANGE": exchange, "EVENTBUS_QUEUE": prefix + "_ordering",
	}
	f := startOrdering(t, env, nil)
	startOrdering(t, env, nil)
	w := newWire(t, exchange, prefix, "OrderStatusChangedToAwaitingValidationIntegrationEvent")

	const orders = 60
	for i := range orders {
		buyer := "buyer-" + string(rune('a'+i%3))
		w.publish("UserCheckoutAcceptedIntegrationEvent", "basket", uuid.New(), checkout(buyer, uuid.New()))
	}
	testkit.WaitFor(t, "every order to await validation", func() bool {
		return f.count(`SELECT count(*) FROM orders WHERE status = 'AwaitingValidation'`) == orders
	})
	testkit.WaitFor(t, "the outbox to be published", func() bool {
		return f.count(`SELECT count(*) FROM integration_event_log WHERE state = 'pending'`) == 0
	})
	if n := f.count(`SELECT count(*) FROM integration_event_log WHERE event_name = 'OrderStatusChangedToAwaitingValidationIntegrationEvent'`); n != orders {
		t.Fatalf("%d AwaitingValidation events stored for %d orders", n, orders)
	}
	testkit.WaitFor(t, "every AwaitingValidation event on the wire", func() bool {
		return len(w.all("OrderStatusChangedToAwaitingValidationIntegrationEvent")) >= orders
	})
	seen := map[float64]int{}
	for _, m := range w.all("OrderStatusChangedToAwaitingValidationIntegrationEvent") {
		seen[m.body["OrderId"].(float64)]++
	}
	if len(seen) != orders {
		t.Fatalf("%d orders announced, want %d", len(seen), orders)
	}
	for order, n := range seen {
		if n != 1 {
			t.Fatalf("order %v announced %d times", order, n)
		}
	}
}
