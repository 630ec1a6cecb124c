package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/tests/e2e/shop"
)

const priceChangedEvent = "ProductPriceChangedIntegrationEvent"

// series is one series of docs/observability.md's table on one service's
// /metrics: a counter's value or a histogram's number of observations.
type series struct {
	service string
	family  string
	labels  []string
}

func (s series) String() string { return fmt.Sprintf("%s's %s%v", s.service, s.family, s.labels) }

// readCounters reads every series of want on the shop's services, by
// series. A series not yet there reads 0: a counter's first observation
// creates it.
func (s *Shop) readCounters(t *testing.T, want []series) map[string]float64 {
	t.Helper()
	scrapes := map[string]testkit.Metrics{}
	values := map[string]float64{}
	for _, w := range want {
		if scrapes[w.service] == nil {
			scrapes[w.service] = testkit.Scrape(t, s.addr[w.service])
		}
		values[w.String()] = max(scrapes[w.service].Value(w.family, w.labels...), 0)
	}
	return values
}

// /metrics read before and after a known amount of traffic: n price
// changes move catalog's request and sent counters and basket's consumed
// counter and handler histogram by exactly n, count no retry, dead letter
// or duplicate, and leave the outbox and the dead-letter queue empty.
func TestMetricsMoveByExactlyTheTraffic(t *testing.T) {
	ctx := context.Background()
	s := StartShop(t)
	st := s.story(t)
	it := s.readyItems(t, 1)[0]
	const n = 5

	putItem := []string{"http_request_method", "PUT", "http_route", "/api/catalog/items/{id}", "http_response_status_code", "200"}
	moves := map[string]float64{}
	var watched []series
	watch := func(by float64, service, family string, labels ...string) string {
		w := series{service, family, labels}
		watched = append(watched, w)
		moves[w.String()] = by
		return w.String()
	}
	watch(n, "catalog", "http_server_request_duration_seconds", putItem...)
	sent := watch(n, "catalog", "messaging_client_sent_messages_total", "messaging_destination_name", priceChangedEvent)
	consumed := watch(n, "basket", "messaging_client_consumed_messages_total", "messaging_destination_name", priceChangedEvent, "outcome", "ack")
	watch(n, "basket", "messaging_process_duration_seconds", "messaging_destination_name", priceChangedEvent)
	for _, outcome := range []string{"retry", "dead_letter", "duplicate"} {
		watch(0, "basket", "messaging_client_consumed_messages_total", "messaging_destination_name", priceChangedEvent, "outcome", outcome)
	}

	before := s.readCounters(t, watched)
	for i := range n {
		price := it.Price.Add(money.FromCents(int64(i+1) * 11))
		if _, err := s.AsAdmin().UpdateItem(ctx, it.ID, func(edit *shop.Item) { edit.Price = price }); err != nil {
			t.Fatal(err)
		}
	}

	var after map[string]float64
	if err := st.Eventually(ctx, fmt.Sprintf("%d price changes sent and consumed", n), func() (bool, string, error) {
		after = s.readCounters(t, watched)
		state := fmt.Sprintf("sent +%v, consumed +%v", after[sent]-before[sent], after[consumed]-before[consumed])
		if after[sent]-before[sent] > n || after[consumed]-before[consumed] > n {
			return false, "", fmt.Errorf("more than %d: %s", n, state)
		}
		return after[sent]-before[sent] == n && after[consumed]-before[consumed] == n, state, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, w := range watched {
		if got := after[w.String()] - before[w.String()]; got != moves[w.String()] {
			t.Errorf("%s moved by %v, want %v (before %v, after %v)", w, got, moves[w.String()], before[w.String()], after[w.String()])
		}
	}
	// The gauges: absent, they would read -1 and never 0.
	for _, g := range []series{
		{"catalog", "eshop_outbox_pending_events", nil},
		{"catalog", "eshop_outbox_oldest_pending_age_seconds", nil},
		{"basket", "eshop_eventbus_dead_letter_messages", []string{"queue", s.Queues["basket"] + ".dlq"}},
	} {
		if err := st.Eventually(ctx, g.String()+" at 0", func() (bool, string, error) {
			got := testkit.Scrape(t, s.addr[g.service]).Value(g.family, g.labels...)
			return got == 0, fmt.Sprint(got), nil
		}); err != nil {
			t.Error(err)
		}
	}
}
