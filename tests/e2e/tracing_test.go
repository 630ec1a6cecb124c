package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/tests/e2e/shop"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

const (
	priceChanged  = "ProductPriceChangedIntegrationEvent"
	updateItem    = "PUT /api/catalog/items/{id}"
	checkoutRoute = "POST /api/basket/{buyerId}/checkout"
)

// changePrice puts the item in a watcher's basket, changes its price by one
// cent as the admin, runs afterCommit (if not nil) and waits until the
// basket shows the new price; it returns the new price.
func (s *Shop) changePrice(t *testing.T, it shop.Item, afterCommit func()) money.Money {
	t.Helper()
	ctx := context.Background()
	watcher := "watcher-" + uuid.NewString()[:8]
	if _, err := s.AsBuyer(watcher).SetBasket(ctx, watcher, []shop.BasketItem{
		{ProductID: it.ID, ProductName: it.Name, UnitPrice: it.Price, Quantity: 1}}); err != nil {
		t.Fatal(err)
	}
	newPrice := it.Price.Add(money.FromCents(1))
	if _, err := s.AsAdmin().UpdateItem(ctx, it.ID, func(edit *shop.Item) { edit.Price = newPrice }); err != nil {
		t.Fatal(err)
	}
	if afterCommit != nil {
		afterCommit()
	}
	st := &shop.Story{Client: s.Client, Patience: testkit.Patience}
	if err := st.Eventually(ctx, "the basket at the new price", func() (bool, string, error) {
		b, err := s.AsBuyer(watcher).Basket(ctx, watcher)
		if err != nil || len(b.Items) != 1 {
			return false, fmt.Sprint(b.Items, err), nil
		}
		return b.Items[0].UnitPrice.Equal(newPrice), b.Items[0].UnitPrice.String(), nil
	}); err != nil {
		t.Fatal(err)
	}
	return newPrice
}

// priceChangeTrace waits for the spans of one price change and checks that
// they are one trace, parent and child in the order of the flow: catalog's
// HTTP server span, catalog's publish span, basket's process span, and
// basket's SQL under that. It returns the trace's spans.
func priceChangeTrace(t *testing.T, rec *otlpReceiver, wantProcess int) []span {
	t.Helper()
	put := rec.waitSpans(t, "catalog's "+updateItem, 1, named("catalog", updateItem))[0]
	inTrace := func(match func(span) bool) func(span) bool {
		return func(s span) bool { return s.TraceID == put.TraceID && match(s) }
	}
	pub := rec.waitSpans(t, "catalog's publish span in the request's trace", 1, inTrace(named("catalog", "publish "+priceChanged)))
	proc := rec.waitSpans(t, "basket's process span in the request's trace", wantProcess, inTrace(named("basket", "process "+priceChanged)))
	spans := rec.trace(put.TraceID)
	t.Logf("the trace of a price change, as the receiver got it:\n%s", tree(spans))

	if put.Parent != "" || put.Kind != "SERVER" || put.Attrs["http.route"] != "/api/catalog/items/{id}" {
		t.Errorf("catalog's request span: parent %q kind %s route %q, want a server root with http.route", put.Parent, put.Kind, put.Attrs["http.route"])
	}
	if len(pub) != 1 || pub[0].Parent != put.ID || pub[0].Kind != "PRODUCER" {
		t.Fatalf("publish spans %+v, want one producer span, child of the request's", pub)
	}
	for k, want := range map[string]string{
		"messaging.system": "rabbitmq", "messaging.rabbitmq.destination.routing_key": priceChanged,
	} {
		if pub[0].Attrs[k] != want {
			t.Errorf("publish span: %s = %q, want %q", k, pub[0].Attrs[k], want)
		}
	}
	for _, p := range proc {
		if p.Parent != pub[0].ID || p.Kind != "CONSUMER" || p.Attrs["messaging.message.id"] != pub[0].Attrs["messaging.message.id"] {
			t.Errorf("process span %+v, want a consumer span of the same message, child of the publish span", p)
		}
	}
	last := proc[len(proc)-1]
	if sql := rec.find(inTrace(func(s span) bool {
		return s.Service == "basket" && s.Parent == last.ID && s.Attrs["db.query.text"] != ""
	})); len(sql) == 0 {
		t.Errorf("no SQL span under basket's process span:\n%s", tree(spans))
	}
	return spans
}

// A price change is one trace: catalog's request, its publish (from the
// outbox, in the request's context) and basket's handling of it, with its
// SQL.
func TestTracingAPriceChangeIsOneTrace(t *testing.T) {
	rec := startOTLPReceiver(t)
	s := StartShop(t, rec.env()...)
	it := s.readyItems(t, 1)[0]
	s.changePrice(t, it, nil)
	priceChangeTrace(t, rec, 1)
}

// A delivery that fails twice (a trigger in basket's database refuses the
// inbox record of the price change twice) shows as three process spans of
// the one publish span: attempts 1 and 2 errors with a retry event, the
// third acknowledged.
func TestTracingARetriedDeliveryShowsItsAttempts(t *testing.T) {
	rec := startOTLPReceiver(t)
	s := StartShop(t, rec.env()...)
	it := s.readyItems(t, 1)[0]
	failTwice(t, s.roles.URL(t, "basket", s.roles.Database("basket")), "basket.follow_price_change")
	s.changePrice(t, it, nil)

	spans := priceChangeTrace(t, rec, 3)
	var proc []span
	for _, sp := range spans {
		if sp.Name == "process "+priceChanged {
			proc = append(proc, sp)
		}
	}
	slices.SortFunc(proc, func(a, b span) int { return a.Start.Compare(b.Start) })
	if len(proc) != 3 {
		t.Fatalf("%d process spans, want 3", len(proc))
	}
	for i, p := range proc {
		wantOutcome, wantError := "retry", true
		if i == 2 {
			wantOutcome, wantError = "ack", false
		}
		if p.Attrs["eshop.messaging.attempt"] != fmt.Sprint(i+1) || p.Attrs["eshop.messaging.outcome"] != wantOutcome || p.Error != wantError {
			t.Errorf("attempt %d: %+v, want attempt %d, outcome %s, error %v", i+1, p, i+1, wantOutcome, wantError)
		}
		if wantError && !slices.Contains(p.Events, "retry") {
			t.Errorf("attempt %d has no retry event: %v", i+1, p.Events)
		}
	}
}

// failTwice makes the handler's inbox record fail twice in the database at
// url, and then pass: a sequence counts the attempts outside the
// transactions that roll back. url is the service's role's, which owns the
// inbox table and so may add the trigger, and whose sessions may use the
// sequence.
func failTwice(t *testing.T, url, handler string) {
	t.Helper()
	_, err := connect(t, url).Exec(context.Background(), fmt.Sprintf(`
CREATE SEQUENCE e2e_failures;
CREATE FUNCTION e2e_fail_twice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.handler = '%s' AND nextval('e2e_failures') <= 2 THEN
		RAISE EXCEPTION 'e2e: failing on purpose';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER e2e_fail_twice BEFORE INSERT ON integration_event_inbox
	FOR EACH ROW EXECUTE FUNCTION e2e_fail_twice();`, strings.ReplaceAll(handler, "'", "''")))
	if err != nil {
		t.Fatal(err)
	}
}

// A checkout is one trace through basket and ordering up to the order
// (Submitted); the grace-period worker starts the rest as a new trace
// linked to it, through ordering, catalog and payment to the paid order.
func TestTracingACheckoutIsOneTraceAndTheGracePeriodALink(t *testing.T) {
	ctx := context.Background()
	rec := startOTLPReceiver(t)
	s := StartShop(t, rec.env()...)
	st := s.story(t)
	it := s.readyItems(t, 1)[0]
	buyer := "traced-" + uuid.NewString()[:8]
	number := s.placeOrder(t, st, buyer, shop.BasketItem{ProductID: it.ID, ProductName: it.Name, UnitPrice: it.Price, Quantity: 1})
	if err := st.FollowOrder(ctx, number, "Paid"); err != nil {
		t.Fatal(err)
	}

	checkout := rec.waitSpans(t, "basket's "+checkoutRoute, 1, named("basket", checkoutRoute))[0]
	rec.waitSpans(t, "ordering's order in the checkout's trace", 1, func(s span) bool {
		return s.TraceID == checkout.TraceID && s.Service == "ordering" && s.Name == "process UserCheckoutAcceptedIntegrationEvent"
	})
	grace := rec.waitSpans(t, "the grace period's span linked to the checkout's trace", 1, func(s span) bool {
		return s.Service == "ordering" && s.Name == "grace period over" && len(s.Links) == 1 && s.Links[0][:32] == checkout.TraceID
	})[0]
	rec.waitSpans(t, "ordering's handling of the payment in the grace period's trace", 1, func(s span) bool {
		return s.TraceID == grace.TraceID && s.Service == "ordering" && s.Name == "process OrderPaymentSucceededIntegrationEvent"
	})
	rec.waitSpans(t, "catalog's handling of the paid order in the grace period's trace", 1, func(s span) bool {
		return s.TraceID == grace.TraceID && s.Service == "catalog" && s.Name == "process OrderStatusChangedToPaidIntegrationEvent"
	})
	first := rec.waitWhole(t, "the checkout's trace", checkout.TraceID, "basket", "ordering")
	second := rec.waitWhole(t, "the grace period's trace", grace.TraceID, "catalog", "ordering", "payment")
	t.Logf("the checkout's trace:\n%s\nthe grace period's trace, linked to it:\n%s", tree(first), tree(second))

	if grace.Parent != "" {
		t.Errorf("the grace period's span has a parent %s: want the root of a new trace", grace.Parent)
	}
	if services := servicesOf(first); !slices.Equal(services, []string{"basket", "ordering"}) {
		t.Errorf("the checkout's trace runs through %v, want basket and ordering", services)
	}
	if services := servicesOf(second); !slices.Equal(services, []string{"catalog", "ordering", "payment"}) {
		t.Errorf("the grace period's trace runs through %v, want catalog, ordering and payment", services)
	}
}

func servicesOf(spans []span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Service)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func rootsOf(spans []span) []span {
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.ID] = true
	}
	var roots []span
	for _, s := range spans {
		if !ids[s.Parent] {
			roots = append(roots, s)
		}
	}
	return roots
}

// connect connects to the database at url until the test ends.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
