package service_test

import (
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// /metrics, without a token, counts the request payment handled and the
// answer it sent; payment has no database, so no outbox series.
func TestMetrics(t *testing.T) {
	s, b := startPayment(t, nil, nil)
	b.request(1)
	testkit.WaitFor(t, "the answer", func() bool { return b.answersQueued() >= 1 })

	var m testkit.Metrics
	testkit.WaitFor(t, "the request counted", func() bool {
		m = testkit.Scrape(t, s.Addr)
		return m.Value("messaging_client_consumed_messages_total", "messaging_destination_name", requestName, "outcome", "ack") == 1
	})
	if got := m.Value("messaging_client_sent_messages_total", "messaging_destination_name", succeeded); got != 1 {
		t.Errorf("sent %s = %v, want 1", succeeded, got)
	}
	if got := m.Value("messaging_process_duration_seconds", "messaging_destination_name", requestName); got != 1 {
		t.Errorf("process duration observations = %v, want 1", got)
	}
	if got := m.Value("eshop_eventbus_dead_letter_messages", "queue", s.Queue+".dlq"); got != 0 {
		t.Errorf("dead letters = %v, want 0", got)
	}
	for name := range m {
		if strings.HasPrefix(name, "eshop_outbox_") {
			t.Errorf("payment has no database, yet serves %s", name)
		}
	}
}
