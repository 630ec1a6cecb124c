package service_test

import (
	"net/http"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/payment/internal/service"
	"github.com/google/uuid"
)

// Every request gets exactly one answer, with an id derived from the
// request's, and is acknowledged (none is left in payment's queue).
func TestAnswersEachRequestOnce(t *testing.T) {
	for _, tc := range []struct {
		setting string // PAYMENT_SUCCEEDED; unset when ""
		answer  string
	}{{"", succeeded}, {"false", failed}} {
		t.Run(tc.answer, func(t *testing.T) {
			env := map[string]string{}
			if tc.setting != "" {
				env["PAYMENT_SUCCEEDED"] = tc.setting
			}
			s, b := startPayment(t, env, nil)

			const n = 40
			requests := map[uuid.UUID]int{}
			for order := 1; order <= n; order++ {
				requests[b.request(order)] = order
			}
			testkit.WaitFor(t, "every answer", func() bool { return b.answersQueued() >= n })
			// Every request acknowledged: none waits, none is delivered and
			// unacknowledged, so no answer is still to come.
			testkit.WaitQueueDrained(t, s.Queue)

			checkAnswers(t, b.drain(), requests, tc.answer, true)
		})
	}
}

// While the broker is unreachable, a request is not taken off payment's
// queue; once it is back, the request is answered and acknowledged.
//
// Then the link breaks with many requests in flight and the process stops
// before it comes back: a request whose answer was not confirmed must not
// have been acknowledged, so a second process answers every request that
// the first did not (a request answered twice gets the same answer id).
func TestBrokerOutageAcksNothingUnanswered(t *testing.T) {
	mq := testkit.NewBrokerProxy(t)
	// The first process is stopped while the link is cut, and its stop may
	// report handlers cut off by the shutdown timeout.
	firstProcess := testkit.StartService(t, "payment", service.New,
		withTokenKey(map[string]string{"RABBITMQ_URL": mq.URL(testkit.RabbitURL()), "SHUTDOWN_TIMEOUT": "2s"}), nil)
	first := firstProcess.URL
	names := withTokenKey(map[string]string{"EVENTBUS_EXCHANGE": firstProcess.Exchange, "EVENTBUS_QUEUE": firstProcess.Queue})
	b := newBroker(t, firstProcess.Exchange, firstProcess.Prefix, firstProcess.Queue)

	mq.Cut()
	testkit.WaitFor(t, "payment to report the broker down", func() bool { return !testkit.IsReady(first) })
	requests := map[uuid.UUID]int{b.request(1): 1}
	testkit.WaitFor(t, "the request to wait in payment's queue", func() bool { return b.requestsReady() == 1 })
	if got := b.answersQueued(); got != 0 {
		t.Fatalf("%d answers while the broker was unreachable", got)
	}

	mq.Restore()
	testkit.WaitReady(t, first)
	testkit.WaitFor(t, "the answer after the outage", func() bool { return b.answersQueued() >= 1 })

	// Break the link with requests in flight, and stop while it is broken.
	for order := 2; order <= 200; order++ {
		requests[b.request(order)] = order
	}
	mq.Cut()
	_ = firstProcess.Stop()

	// The second process reaches the broker directly.
	testkit.StartService(t, "payment", service.New, names, nil)
	testkit.WaitFor(t, "every request to be answered", func() bool {
		ids := map[string]bool{}
		for _, d := range testkit.PeekMessages(t, b.answers) {
			ids[d.MessageId] = true
		}
		return len(ids) >= len(requests)
	})
	testkit.WaitQueueDrained(t, b.requests)

	checkAnswers(t, b.drain(), requests, succeeded, false)
}

func TestHealth(t *testing.T) {
	s := testkit.StartService(t, "payment", service.New, nil, nil)
	if res := s.Client.Do(http.MethodGet, "/healthz", nil); res.Status != http.StatusOK {
		t.Fatalf("/healthz = %d", res.Status)
	}
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	s.Client.JSON(http.MethodGet, "/readyz", nil, http.StatusOK, &ready)
	if ready.Checks["broker"] != "ok" {
		t.Fatalf("/readyz = %+v", ready)
	}
	if code := host.Healthcheck(s.Addr); code != 0 {
		t.Fatalf("healthcheck exit code %d, want 0", code)
	}
}
