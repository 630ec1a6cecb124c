//go:build disruptive

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// The broker is unreachable for catalog between the commit of a price
// change and its publishing, and the catalog process that committed it is
// killed meanwhile: the next catalog process relays the event from its
// outbox row once the broker is back, and the event still belongs to the
// request's trace (publish span the child of the request's, basket's
// process span the child of that).
func TestDisruptiveTracingARelayedEventJoinsItsTraceAfterABrokerOutage(t *testing.T) {
	rec := startOTLPReceiver(t)
	s := StartShop(t, rec.env()...)
	it := s.readyItems(t, 1)[0]
	// Catalog alone reaches the broker through a proxy the test can cut.
	proxy := testkit.NewBrokerProxy(t)
	s.Kill("catalog")
	s.env["catalog"] = append(s.env["catalog"], "RABBITMQ_URL="+proxy.URL(s.users.URL(t, "catalog")))
	s.Start("catalog")
	s.WaitReady(t)

	proxy.Cut()
	var restarted time.Time
	s.changePrice(t, it, func() {
		if n := pendingEvents(t, s.Databases["catalog"]); n != 1 {
			t.Fatalf("%d events pending in catalog's outbox during the outage, want 1", n)
		}
		// The request's span is exported before its process dies.
		rec.waitSpans(t, "catalog's "+updateItem, 1, named("catalog", updateItem))
		s.Kill("catalog")
		proxy.Restore()
		restarted = time.Now()
		s.Start("catalog")
	})

	spans := priceChangeTrace(t, rec, 1)
	for _, sp := range spans {
		if sp.Name == "publish "+priceChanged && sp.Start.Before(restarted) {
			t.Errorf("the event was published at %v, before catalog restarted at %v: not from the outbox row", sp.Start, restarted)
		}
	}
}

// pendingEvents counts the events of the outbox at url not yet published.
func pendingEvents(t *testing.T, url string) int {
	t.Helper()
	var n int
	if err := connect(t, url).QueryRow(context.Background(), "SELECT count(*) FROM integration_event_log WHERE state = 'pending'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
