//go:build disruptive

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/tests/e2e/shop"
	"github.com/google/uuid"
)

// While the broker blocks publishers (a memory alarm), catalog commits
// price changes its relay cannot publish: the outbox gauges on catalog's
// /metrics rise, the backlog to exactly the changes and the age of the
// oldest past zero and growing, and nothing is counted as sent. Once the
// alarm is over they fall back to 0, and the sent and consumed counters
// move by exactly the changes.
func TestDisruptiveOutboxGaugesRiseWhileTheBrokerIsBlocked(t *testing.T) {
	ctx := context.Background()
	s := StartShop(t)
	st := &shop.Story{Client: s.Client, Patience: 90 * time.Second}
	it := s.readyItems(t, 1)[0]
	const n = 3

	gauge := func(family string) float64 { return testkit.Scrape(t, s.addr["catalog"]).Value(family) }
	const pending, age = "eshop_outbox_pending_events", "eshop_outbox_oldest_pending_age_seconds"
	waitGauges := func(what string, cond func(pending, age float64) bool) {
		t.Helper()
		if err := st.Eventually(ctx, what, func() (bool, string, error) {
			p, a := gauge(pending), gauge(age)
			if p > n {
				return false, "", fmt.Errorf("%s = %v, more than the %d changes", pending, p, n)
			}
			return cond(p, a), fmt.Sprintf("%s %v, %s %v", pending, p, age, a), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	waitGauges("an empty outbox", func(p, a float64) bool { return p == 0 && a == 0 })
	counters := []series{
		{"catalog", "messaging_client_sent_messages_total", []string{"messaging_destination_name", priceChangedEvent}},
		{"basket", "messaging_client_consumed_messages_total", []string{"messaging_destination_name", priceChangedEvent, "outcome", "ack"}},
	}
	before := s.readCounters(t, counters)

	// A bus of the test's own, on an exchange nothing is bound to, tells
	// when the alarm has taken hold: its publishes are held.
	exchange, _ := testkit.Broker(t)
	probe := testkit.StartBus(t, rabbitmq.Config{Exchange: exchange, AppID: "alarmprobe"})
	unblock := testkit.BlockPublishers(t)
	testkit.WaitFor(t, "the broker to block publishers", func() bool {
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		return probe.Publish(short, eventbus.Message{ID: uuid.New(), Name: "AlarmProbe", Body: []byte(`{}`)}) != nil
	})
	for i := range n {
		price := it.Price.Add(money.FromCents(int64(i+1) * 13))
		if _, err := s.AsAdmin().UpdateItem(ctx, it.ID, func(edit *shop.Item) { edit.Price = price }); err != nil {
			t.Fatal(err)
		}
	}
	waitGauges(fmt.Sprintf("%d pending events", n), func(p, a float64) bool { return p == n && a > 0 })
	first := gauge(age)
	waitGauges("the oldest pending event to age", func(p, a float64) bool { return p == n && a > first+1 })
	blocked := s.readCounters(t, counters)
	for _, c := range counters {
		if blocked[c.String()] != before[c.String()] {
			t.Errorf("%s moved from %v to %v while the broker blocked every publisher", c, before[c.String()], blocked[c.String()])
		}
	}

	unblock()
	waitGauges("the outbox emptied after the alarm", func(p, a float64) bool { return p == 0 && a == 0 })
	if err := st.Eventually(ctx, fmt.Sprintf("%d changes sent and consumed", n), func() (bool, string, error) {
		after := s.readCounters(t, counters)
		state := ""
		done := true
		for _, c := range counters {
			moved := after[c.String()] - before[c.String()]
			if moved > n {
				return false, "", fmt.Errorf("%s moved by %v, more than %d", c, moved, n)
			}
			state += fmt.Sprintf("%s +%v; ", c, moved)
			done = done && moved == n
		}
		return done, state, nil
	}); err != nil {
		t.Fatal(err)
	}
}
