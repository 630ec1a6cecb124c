package service_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
	"github.com/eshop-go/eshop-go/services/payment/internal/service"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	requestName = "OrderStatusChangedToStockConfirmedIntegrationEvent"
	succeeded   = "OrderPaymentSucceededIntegrationEvent"
	failed      = "OrderPaymentFailedIntegrationEvent"
)

// paymentProcess is a running payment service.
type paymentProcess struct {
	base string
	// stop shuts the service down gracefully, waits, and returns what
	// host.Run returned. Later calls return nil.
	stop func() error
}

// startPayment runs the real payment service (host.Run); stop (also called
// when the test ends) shuts it down gracefully and waits.
func startPayment(t testing.TB, cfg service.Config) *paymentProcess {
	return startPaymentLogging(t, cfg, io.Discard)
}

// startPaymentLogging is startPayment with the service's debug logs
// written to logs.
func startPaymentLogging(t testing.TB, cfg service.Config, logs io.Writer) *paymentProcess {
	t.Helper()
	cfg.HTTPAddr = testkit.FreeAddr(t)
	logger := slog.New(slog.NewJSONHandler(testkit.ShowLogsIfAsked(logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := service.New(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- host.Run(ctx, svc) }()
	stopped := false
	p := &paymentProcess{base: "http://" + cfg.HTTPAddr}
	p.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = p.stop() })
	testkit.WaitReady(t, p.base)
	return p
}

func (p *paymentProcess) ready() bool { return testkit.IsReady(p.base) }

// broker is the test's raw AMQP side: it sends ordering's requests in the
// wire format and keeps payment's answers in a queue of its own, unread
// until the test reads them.
type broker struct {
	t        testing.TB
	exchange string
	answers  string // the test's queue of answers
	requests string // payment's queue
	ch       *amqp.Channel
}

func newBroker(t testing.TB) (*broker, service.Config) {
	t.Helper()
	exchange, prefix := testkit.Broker(t)
	conn, err := amqp.Dial(testkit.RabbitURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	answers := testkit.BindTestQueue(t, ch, exchange, prefix, "answers", succeeded, failed)
	b := &broker{t: t, exchange: exchange, answers: answers, requests: prefix + "_payment", ch: ch}
	return b, service.Config{
		RabbitMQURL: testkit.RabbitURL(), Exchange: exchange, Queue: b.requests,
		PaymentSucceeded: true, ShutdownTimeout: 20 * time.Second,
	}
}

// request publishes ordering's request to charge order and returns its id.
func (b *broker) request(order int) uuid.UUID {
	b.t.Helper()
	id := uuid.New()
	body, _ := json.Marshal(map[string]any{
		"Id": id, "CreationDate": time.Now().UTC().Format(time.RFC3339Nano),
		"OrderId": order, "OrderStatus": "StockConfirmed", "BuyerName": "Alice", "BuyerIdentityGuid": "b1",
	})
	if err := b.ch.PublishWithContext(context.Background(), b.exchange, requestName, true, false, testkit.EventMessage(requestName, id.String(), "ordering", body)); err != nil {
		b.t.Fatal(err)
	}
	return id
}

// ready counts the messages waiting in a queue (not delivered, or delivered
// and given back unacknowledged).
func (b *broker) ready(queue string) int {
	b.t.Helper()
	q, err := b.ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return q.Messages
}

// readyQuorum is ready for payment's quorum queue (declared with its
// arguments by the bus).
func (b *broker) readyQuorum() int {
	b.t.Helper()
	q, err := b.ch.QueueInspect(b.requests)
	if err != nil {
		b.t.Fatal(err)
	}
	return q.Messages
}

type answer struct {
	name, appID, messageID string
	body                   map[string]any
}

// drain reads every answer queued so far.
func (b *broker) drain() []answer {
	b.t.Helper()
	var out []answer
	for {
		d, ok, err := b.ch.Get(b.answers, true)
		if err != nil {
			b.t.Fatal(err)
		}
		if !ok {
			return out
		}
		a := answer{name: d.Type, appID: d.AppId, messageID: d.MessageId}
		if err := json.Unmarshal(d.Body, &a.body); err != nil {
			b.t.Fatalf("answer body %s: %v", d.Body, err)
		}
		out = append(out, a)
	}
}

// checkAnswers checks that every request got its answer, with the
// deterministic id, and nothing else was answered. exact says whether each
// answer must come once (no broker failure) or may be repeated, with the
// same id (a redelivery after a failure).
func checkAnswers(t *testing.T, answers []answer, requests map[uuid.UUID]int, name string, exact bool) {
	t.Helper()
	want := map[string]int{} // answer id → order
	for id, order := range requests {
		want[payment.AnswerID(id, name).String()] = order
	}
	got := map[string]int{}
	for _, a := range answers {
		order, ok := want[a.messageID]
		if !ok {
			t.Fatalf("an answer with an unexpected id %s: %+v", a.messageID, a)
		}
		if a.name != name || a.appID != "payment" || a.body["Id"] != a.messageID || a.body["OrderId"] != float64(order) {
			t.Fatalf("answer %+v, want %s for order %d", a, name, order)
		}
		got[a.messageID]++
	}
	if len(got) != len(want) {
		t.Fatalf("%d of %d requests answered", len(got), len(want))
	}
	if exact && len(answers) != len(want) {
		t.Fatalf("%d answers for %d requests, want exactly one each", len(answers), len(want))
	}
}

// Every request gets exactly one answer, with an id derived from the
// request's, and is acknowledged (none is left in payment's queue).
func TestAnswersEachRequestOnce(t *testing.T) {
	for _, tc := range []struct {
		succeed bool
		answer  string
	}{{true, succeeded}, {false, failed}} {
		t.Run(tc.answer, func(t *testing.T) {
			b, cfg := newBroker(t)
			cfg.PaymentSucceeded = tc.succeed
			p := startPayment(t, cfg)

			const n = 40
			requests := map[uuid.UUID]int{}
			for order := 1; order <= n; order++ {
				requests[b.request(order)] = order
			}
			testkit.WaitFor(t, "every answer", func() bool { return b.ready(b.answers) >= n })
			// Graceful: running handlers finish and ack.
			if err := p.stop(); err != nil {
				t.Fatalf("payment stopped with an error: %v", err)
			}

			checkAnswers(t, b.drain(), requests, tc.answer, true)
			if left := b.readyQuorum(); left != 0 {
				t.Fatalf("%d requests left unacknowledged in payment's queue", left)
			}
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
	b, cfg := newBroker(t)
	broker, err := url.Parse(testkit.RabbitURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := testkit.NewProxy(t, broker.Host)
	direct := cfg
	cfg.RabbitMQURL = proxy.URL(testkit.RabbitURL())
	cfg.ShutdownTimeout = 2 * time.Second
	first := startPayment(t, cfg)

	proxy.Cut()
	testkit.WaitFor(t, "payment to report the broker down", func() bool { return !first.ready() })
	requests := map[uuid.UUID]int{b.request(1): 1}
	testkit.WaitFor(t, "the request to wait in payment's queue", func() bool { return b.readyQuorum() == 1 })
	if got := b.ready(b.answers); got != 0 {
		t.Fatalf("%d answers while the broker was unreachable", got)
	}

	proxy.Restore()
	testkit.WaitFor(t, "payment to reconnect", first.ready)
	testkit.WaitFor(t, "the answer after the outage", func() bool { return b.ready(b.answers) >= 1 })

	// Break the link with requests in flight, and stop while it is broken.
	for order := 2; order <= 200; order++ {
		requests[b.request(order)] = order
	}
	proxy.Cut()
	_ = first.stop() // may report handlers cut off by the shutdown timeout

	second := startPayment(t, direct)
	testkit.WaitFor(t, "every request to be answered", func() bool {
		ids := map[string]bool{}
		for _, id := range b.peek() {
			ids[id] = true
		}
		return len(ids) >= len(requests)
	})
	if err := second.stop(); err != nil {
		t.Fatalf("payment stopped with an error: %v", err)
	}

	checkAnswers(t, b.drain(), requests, succeeded, false)
	if left := b.readyQuorum(); left != 0 {
		t.Fatalf("%d requests left unacknowledged in payment's queue", left)
	}
}

// peek returns the ids of the answers queued so far, leaving them queued.
func (b *broker) peek() []string {
	b.t.Helper()
	var ids []string
	var tags []uint64
	for {
		d, ok, err := b.ch.Get(b.answers, false)
		if err != nil {
			b.t.Fatal(err)
		}
		if !ok {
			break
		}
		ids = append(ids, d.MessageId)
		tags = append(tags, d.DeliveryTag)
	}
	if len(tags) > 0 {
		if err := b.ch.Nack(tags[len(tags)-1], true, true); err != nil {
			b.t.Fatal(err)
		}
	}
	return ids
}

func TestHealth(t *testing.T) {
	_, cfg := newBroker(t)
	p := startPayment(t, cfg)
	res, err := http.Get(p.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz = %d", res.StatusCode)
	}
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	res, err = http.Get(p.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&ready); err != nil || res.StatusCode != http.StatusOK || ready.Checks["broker"] != "ok" {
		t.Fatalf("/readyz = %d %+v %v", res.StatusCode, ready, err)
	}
	if code := host.Healthcheck(p.base[len("http://"):]); code != 0 {
		t.Fatalf("healthcheck exit code %d, want 0", code)
	}
}
