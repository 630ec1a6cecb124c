package service_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"
)

// orderingUnderTest is the real ordering service, started in-process on a
// free port with its own exchange and queue, a pool on its database, and a
// client that checks every answer against openapi.yaml and calls as an
// administrator (startOrdering).
type orderingUnderTest struct {
	*testkit.ServiceUnderTest
	t  testing.TB
	DB *pgxpool.Pool
	// Issuer is the issuer the service trusts (startOrdering).
	Issuer *testkit.Issuer
}

// startOrdering starts the service on a fresh database (unless env names
// one), trusting a test issuer of its own, and waits until it is ready; it
// stops when the test ends. Its logs go to logs (see
// testkit.LaunchService).
func startOrdering(t testing.TB, env map[string]string, logs io.Writer) *orderingUnderTest {
	t.Helper()
	env = maps.Clone(env)
	if env["DATABASE_URL"] == "" {
		env["DATABASE_URL"] = testkit.NewDatabase(t)
	}
	iss := testkit.NewIssuer(t)
	maps.Copy(env, iss.Env())
	s := testkit.StartService(t, "ordering", service.New, env, logs)
	o := underTest(t, s, env["DATABASE_URL"])
	o.Issuer, o.Client.Token = iss, iss.Admin()
	return o
}

// underTest wraps a started service whose database is at dbURL.
func underTest(t testing.TB, s *testkit.ServiceUnderTest, dbURL string) *orderingUnderTest {
	t.Helper()
	s.Client.Contract = testkit.LoadContract(t, "../../openapi.yaml")
	db := testkit.OpenPool(t, dbURL)
	return &orderingUnderTest{ServiceUnderTest: s, t: t, DB: db}
}

// count runs one scalar query on ordering's database.
func (o *orderingUnderTest) count(sql string, args ...any) int {
	o.t.Helper()
	var n int
	if err := o.DB.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		o.t.Fatal(err)
	}
	return n
}

// orderView is what the tests read of an order.
type orderView struct {
	Status      string `json:"status"`
	Description string `json:"description"`
	BuyerID     string `json:"buyerId"`
}

// order GETs an order, which must exist.
func (o *orderingUnderTest) order(number float64) orderView {
	o.t.Helper()
	var v orderView
	o.Client.JSON("GET", orderPath(number), nil, http.StatusOK, &v)
	return v
}

type orderSummary struct {
	Status string      `json:"status"`
	Total  json.Number `json:"total"`
}

// orders GETs a buyer's orders, as the buyer.
func (o *orderingUnderTest) orders(buyer string) []orderSummary {
	o.t.Helper()
	var list []orderSummary
	o.Client.As(o.Issuer.Buyer(buyer)).JSON("GET", "/api/orders", nil, http.StatusOK, &list)
	return list
}

// command PUTs a cancel (as the order's buyer) or a ship (as the admin)
// that must answer want: the order, or for a refusal a problem.
func (o *orderingUnderTest) command(number float64, command string, want int) {
	o.t.Helper()
	c := o.Client
	if command == "cancel" {
		c = c.As(o.Issuer.Buyer(o.order(number).BuyerID))
	}
	if want == http.StatusOK {
		c.JSON("PUT", orderPath(number)+"/"+command, nil, want, nil)
		return
	}
	c.Problem("PUT", orderPath(number)+"/"+command, nil, want)
}

type cardType struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// cardTypes GETs the card types.
func (o *orderingUnderTest) cardTypes() []cardType {
	o.t.Helper()
	var types []cardType
	o.Client.JSON("GET", "/api/orders/cardtypes", nil, http.StatusOK, &types)
	return types
}

func orderPath(number float64) string {
	return "/api/orders/" + strconv.FormatInt(int64(number), 10)
}

// wire is a raw AMQP connection to the test's exchange: it publishes events
// in the wire format of docs/events.md, as basket, catalog and payment send
// them, and records what ordering publishes.
type wire struct {
	t        testing.TB
	exchange string
	ch       *amqp.Channel

	mu   sync.Mutex
	seen []received
}

type received struct {
	delivery amqp.Delivery
	body     map[string]any
}

// newWire connects to the broker to publish on exchange, and records the
// events named in observe, seen on the test's queue prefix_observer (see
// testkit.ObserveEvents).
func newWire(t testing.TB, exchange, prefix string, observe ...string) *wire {
	t.Helper()
	ch := testkit.Channel(t, "")
	w := &wire{t: t, exchange: exchange, ch: ch}
	if len(observe) == 0 {
		return w
	}
	deliveries := testkit.ObserveEvents(t, exchange, prefix, "observer", observe...)
	go func() {
		for d := range deliveries {
			var body map[string]any
			_ = json.Unmarshal(d.Body, &body)
			w.mu.Lock()
			w.seen = append(w.seen, received{d, body})
			w.mu.Unlock()
		}
	}()
	return w
}

// publish sends an event: body gets Id and CreationDate, the message the
// properties of the wire contract. It returns the event id.
func (w *wire) publish(name, appID string, id uuid.UUID, payload map[string]any) uuid.UUID {
	w.t.Helper()
	body := map[string]any{"Id": id.String(), "CreationDate": time.Now().UTC().Format(time.RFC3339Nano)}
	maps.Copy(body, payload)
	b, err := json.Marshal(body)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.ch.PublishWithContext(context.Background(), w.exchange, name, true, false, testkit.EventMessage(name, id.String(), appID, b)); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// await waits for a published event of that name for order orderID and
// returns its body.
func (w *wire) await(name string, orderID float64) map[string]any {
	w.t.Helper()
	var found map[string]any
	testkit.WaitFor(w.t, name+" of order "+strconv.FormatFloat(orderID, 'f', -1, 64), func() bool {
		for _, m := range w.all(name) {
			if m.body["OrderId"] == orderID {
				found = m.body
				return true
			}
		}
		return false
	})
	return found
}

// all returns the events of that name received so far.
func (w *wire) all(name string) []received {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []received
	for _, m := range w.seen {
		if m.delivery.Type == name {
			out = append(out, m)
		}
	}
	return out
}
