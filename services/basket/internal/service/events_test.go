package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

const priceChanged = "ProductPriceChangedIntegrationEvent"

// priceChangedBody is catalog's event as docs/events.md puts it on the wire,
// with an extra field a consumer must ignore.
func priceChangedBody(id uuid.UUID, product int64, oldPrice, newPrice string, version int64) string {
	versionField := ""
	if version > 0 {
		versionField = fmt.Sprintf(`,"PriceVersion":%d`, version)
	}
	return fmt.Sprintf(`{"Id":%q,"CreationDate":%q,"ProductId":%d,"NewPrice":%s,"OldPrice":%s%s,"SomethingNew":true}`,
		id, time.Now().UTC().Format(time.RFC3339Nano), product, newPrice, oldPrice, versionField)
}

func TestPriceChangeFromTheBusUpdatesTheRightLines(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "a", item(7, "10.00"), item(8, "10.00"))
	s.putBasket(t, "b", item(9, "3.00"), item(7, "10.00"), item(7, "11.00"))
	s.putBasket(t, "c", item(9, "10.00"))

	v2 := uuid.New()
	s.publishRaw(t, priceChanged, v2, priceChangedBody(v2, 7, "10.00", "12.50", 2))
	s.waitHandled(t, followPriceChange, v2)
	want := map[string][]string{
		"a": {"12.50/10.00", "10.00/-"},           // product 8 untouched
		"b": {"3.00/-", "12.50/10.00", "11.00/-"}, // the buyer's own 11.00 untouched
		"c": {"10.00/-"},                          // product 9 at the old price untouched
	}
	for buyer, prices := range want {
		s.checkPrices(t, buyer, prices...)
	}

	// Out of order: v4 (13.00 → 14.00) before v3 (12.50 → 13.00). The
	// lines end at 14.00, the price catalog committed last, was 13.00, the
	// price before it.
	v3, v4 := uuid.New(), uuid.New()
	s.publishRaw(t, priceChanged, v4, priceChangedBody(v4, 7, "13.00", "14.00", 4))
	s.waitHandled(t, followPriceChange, v4)
	s.publishRaw(t, priceChanged, v3, priceChangedBody(v3, 7, "12.50", "13.00", 3))
	s.waitHandled(t, followPriceChange, v3)
	s.checkPrices(t, "a", "14.00/13.00", "10.00/-")
}

// The story: the consumer was down while the catalog went
// 51 → 52 → 53 → 54 → 55, and the changes arrive in another order. The
// lines end at 55, was 54 (docs/events.md flow 1), never "was 53".
func TestPriceChangesOutOfOrderLeaveTheLastOldPrice(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "a", item(7, "50.00"), item(7, "8.00"))
	v1 := uuid.New()
	s.publishRaw(t, priceChanged, v1, priceChangedBody(v1, 7, "50.00", "51.00", 1))
	s.waitHandled(t, followPriceChange, v1)
	// Put at the latest price (followed from then on), at a price catalog
	// will have later, and at the buyer's own price.
	s.putBasket(t, "b", item(7, "51.00"), item(7, "52.00"), item(7, "8.00"))

	ids := map[int64]uuid.UUID{}
	for _, v := range []int64{3, 5, 2, 4} {
		ids[v] = uuid.New()
		oldPrice, newPrice := fmt.Sprintf("%d.00", 49+v), fmt.Sprintf("%d.00", 50+v)
		s.publishRaw(t, priceChanged, ids[v], priceChangedBody(ids[v], 7, oldPrice, newPrice, v))
	}
	for _, id := range ids {
		s.waitHandled(t, followPriceChange, id)
	}
	want := map[string][]string{
		"a": {"55.00/54.00", "8.00/-"},
		"b": {"55.00/54.00", "55.00/54.00", "8.00/-"},
	}
	for buyer, prices := range want {
		s.checkPrices(t, buyer, prices...)
	}
}

func TestDuplicatePriceChangeHasNoSecondEffect(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "a", item(7, "10.00"))

	// No PriceVersion: only the inbox protects against a duplicate.
	id := uuid.New()
	body := priceChangedBody(id, 7, "10.00", "12.00", 0)
	s.publishRaw(t, priceChanged, id, body)
	s.waitHandled(t, followPriceChange, id)
	s.checkPrices(t, "a", "12.00/10.00")
	// A line at the old price again, then the same event again: the
	// duplicate must not move it.
	s.putBasket(t, "b", item(7, "10.00"))
	s.publishRaw(t, priceChanged, id, body)
	// Once the queue is drained the duplicate was delivered and settled;
	// not dead-lettered, so handled without an error (as the inbox's skip).
	testkit.WaitQueueDrained(t, s.Queue)
	if n := testkit.QueueLength(t, s.Queue+".dlq"); n != 0 {
		t.Fatalf("%d message(s) dead-lettered: the duplicate failed", n)
	}
	// The duplicate moved no line, neither the new one nor the first.
	s.checkPrices(t, "b", "10.00/-")
	s.checkPrices(t, "a", "12.00/10.00")
}

func TestOrderStartedDeletesTheBuyersBasket(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "alice", item(7, "10.00"))
	s.putBasket(t, "bob", item(7, "10.00"))
	id := uuid.New()
	s.publishRaw(t, "OrderStartedIntegrationEvent", id,
		fmt.Sprintf(`{"Id":%q,"CreationDate":%q,"UserId":"alice"}`, id, time.Now().UTC().Format(time.RFC3339)))
	s.waitHandled(t, deleteOrderedBasket, id)
	if b := s.getBasket(t, "alice"); len(b.Items) != 0 {
		t.Fatalf("alice's basket after OrderStarted: %+v", b)
	}
	if b := s.getBasket(t, "bob"); len(b.Items) != 1 {
		t.Fatalf("bob's basket was touched: %+v", b)
	}
}

// An event no catalog would send is parked at once, with its reason; it
// changes nothing and the events after it still flow.
func TestInvalidPriceChangeIsParked(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "a", item(7, "10.00"))
	bad := uuid.New()
	s.publishRaw(t, priceChanged, bad, priceChangedBody(bad, 7, "10.00", "-5.00", 2))
	checkParkedInvalid(t, testkit.WaitParked(t, s.Queue, 1), "price -5")
	good := uuid.New()
	s.publishRaw(t, priceChanged, good, priceChangedBody(good, 7, "10.00", "11.00", 3))
	s.waitHandled(t, followPriceChange, good)
	s.checkPrices(t, "a", "11.00/10.00") // only the valid change applied
}

// checkParkedInvalid fails the test unless every parked message was parked
// at once, as invalid, with a reason that says why.
func checkParkedInvalid(t *testing.T, parked []rabbitmq.DeadLetter, why string) {
	t.Helper()
	for _, p := range parked {
		if p.Reason != rabbitmq.ReasonInvalid || p.Attempts != 1 || !strings.Contains(p.LastError, why) {
			t.Fatalf("parked %s as %q after %d attempt(s): %s; want invalid at once, saying %q", p.Name, p.Reason, p.Attempts, p.LastError, why)
		}
	}
}

// The rows: a price of 0, and a forged version far beyond any
// catalog's, each parked at once. Neither moves a line, and the forged
// version is not pinned: the next real change still applies.
func TestPriceChangeWithAZeroPriceOrAnImplausibleVersionIsParked(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "a", item(7, "10.00"))
	zero, forged := uuid.New(), uuid.New()
	s.publishRaw(t, priceChanged, zero, priceChangedBody(zero, 7, "10.00", "0", 0))
	checkParkedInvalid(t, testkit.WaitParked(t, s.Queue, 1), "price 0")
	s.publishRaw(t, priceChanged, forged, priceChangedBody(forged, 7, "10.00", "0.01", 1<<62))
	checkParkedInvalid(t, testkit.WaitParked(t, s.Queue, 2)[1:], "is not from 1 to 2147483647")
	s.checkPrices(t, "a", "10.00/-") // untouched by the two invalid changes
	real := uuid.New()
	s.publishRaw(t, priceChanged, real, priceChangedBody(real, 7, "10.00", "11.00", 1))
	s.waitHandled(t, followPriceChange, real)
	s.checkPrices(t, "a", "11.00/10.00") // else the forged version was pinned
}

// The row: two price changes without an Id. Before, the inbox took
// the nil UUID as the first one's id and dropped the second as its
// duplicate, silently. Both are parked, with their reason, and change
// nothing.
func TestPriceChangesWithoutAnIDAreParked(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "a", item(7, "10.00"), item(8, "20.00"))
	for _, body := range []string{
		`{"CreationDate":"2026-11-25T10:00:00Z","ProductId":7,"NewPrice":12.00,"OldPrice":10.00}`,
		`{"Id":"00000000-0000-0000-0000-000000000000","ProductId":8,"NewPrice":22.00,"OldPrice":20.00}`,
	} {
		testkit.PublishEvent(t, s.Exchange, testkit.EventMessage(priceChanged, "", "test", []byte(body)))
	}
	checkParkedInvalid(t, testkit.WaitParked(t, s.Queue, 2), "no Id")
	s.checkPrices(t, "a", "10.00/-", "20.00/-")
	var recorded int
	if err := s.DB.QueryRow(context.Background(), `SELECT count(*) FROM integration_event_inbox`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != 0 {
		t.Fatalf("the inbox recorded %d event(s) without an id", recorded)
	}
}

// An OrderStarted whose UserId is no buyer id is parked at once and
// deletes nothing.
func TestOrderStartedWithoutABuyerIsParked(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "alice", item(7, "10.00"))
	for _, user := range []string{`""`, `"a b"`, `null`} {
		id := uuid.New()
		s.publishRaw(t, "OrderStartedIntegrationEvent", id, fmt.Sprintf(`{"Id":%q,"UserId":%s}`, id, user))
	}
	checkParkedInvalid(t, testkit.WaitParked(t, s.Queue, 3), "UserId")
	if b := s.getBasket(t, "alice"); len(b.Items) != 1 {
		t.Fatalf("alice's basket was touched: %+v", b)
	}
}
