package service_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"testing"
	"time"

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

// testTokenKey is the PAYMENT_TOKEN_KEY of the tests (base64 of 32 bytes),
// so that the test seals the tokens the service opens.
const testTokenKey = "dGVzdC1vbmx5LWtleS1mb3ItcGF5bWVudC10b2tlbnM="

// startPayment starts the real payment service in-process with env and
// PAYMENT_TOKEN_KEY=testTokenKey (see testkit.StartService: its own port,
// exchange and queue), its logs going to logs (nil: the test's output),
// and waits until it is ready; it stops when the test ends, and an error
// from its graceful stop fails the test. It returns the test's side of the
// broker too.
func startPayment(t testing.TB, env map[string]string, logs io.Writer) (*testkit.ServiceUnderTest, *broker) {
	t.Helper()
	s := testkit.StartService(t, "payment", service.New, withTokenKey(env), logs)
	s.Client.Contract = testkit.LoadContract(t, "../../openapi.yaml")
	return s, newBroker(t, s.Exchange, s.Prefix, s.Queue)
}

// withTokenKey returns env with PAYMENT_TOKEN_KEY=testTokenKey.
func withTokenKey(env map[string]string) map[string]string {
	env = maps.Clone(env)
	if env == nil {
		env = map[string]string{}
	}
	env["PAYMENT_TOKEN_KEY"] = testTokenKey
	return env
}

// broker is the test's raw AMQP side: it sends ordering's requests in the
// wire format and keeps payment's answers in a queue of its own, unread
// until the test reads them.
type broker struct {
	t        testing.TB
	exchange string
	answers  string // the test's queue of answers
	requests string // payment's queue
	ch       *amqp.Channel
	tokens   *payment.Tokens // sealed with the service's key
}

// newBroker binds the test's queue of answers to exchange. prefix is the
// one testkit.Broker gave the test; requests is payment's queue.
func newBroker(t testing.TB, exchange, prefix, requests string) *broker {
	t.Helper()
	ch := testkit.Channel(t, "")
	answers := testkit.BindTestQueue(t, ch, exchange, prefix, "answers", succeeded, failed)
	var key payment.TokenKey
	if err := key.UnmarshalText([]byte(testTokenKey)); err != nil {
		t.Fatal(err)
	}
	tokens, err := payment.NewTokens(key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &broker{t: t, exchange: exchange, answers: answers, requests: requests, ch: ch, tokens: tokens}
}

// token seals the test card, as POST /cards would have at sealedAt.
func (b *broker) token(sealedAt time.Time) string {
	b.t.Helper()
	token, _, err := b.tokens.Seal(payment.Card{Number: cardNumber, HolderName: "Alice", Expiration: sealedAt.AddDate(1, 0, 0), TypeID: 2}, buyer, sealedAt)
	if err != nil {
		b.t.Fatal(err)
	}
	return token
}

// request publishes ordering's request to charge order with a fresh token
// of the test card and returns its id.
func (b *broker) request(order int) uuid.UUID {
	b.t.Helper()
	return b.requestWith(order, b.token(time.Now()))
}

// requestWith publishes ordering's request to charge order of buyer b1
// with token, dated now.
func (b *broker) requestWith(order int, token string) uuid.UUID {
	b.t.Helper()
	return b.requestAs(order, token, buyer, time.Now())
}

// requestAs publishes ordering's request to charge order of buyerID with
// token, created at created.
func (b *broker) requestAs(order int, token, buyerID string, created time.Time) uuid.UUID {
	b.t.Helper()
	id := uuid.New()
	body, _ := json.Marshal(map[string]any{
		"Id": id, "CreationDate": created.UTC().Format(time.RFC3339Nano),
		"OrderId": order, "OrderStatus": "StockConfirmed", "BuyerName": "Alice", "BuyerIdentityGuid": buyerID,
		"PaymentToken": token, "Total": 19.50,
	})
	if err := b.ch.PublishWithContext(context.Background(), b.exchange, requestName, true, false, testkit.EventMessage(requestName, id.String(), "ordering", body)); err != nil {
		b.t.Fatal(err)
	}
	return id
}

// answersQueued counts the answers in the test's queue.
func (b *broker) answersQueued() int {
	b.t.Helper()
	return testkit.QueueLength(b.t, b.answers)
}

// requestsReady counts the requests waiting in payment's queue: not
// delivered, or delivered and given back unacknowledged.
func (b *broker) requestsReady() int {
	b.t.Helper()
	return testkit.QueueLength(b.t, b.requests)
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
