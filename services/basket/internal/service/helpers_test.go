package service_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/service"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"
)

// basketUnderTest is the real basket service, started in-process on a free
// port with its own database, exchange and queue, and a client that checks
// every answer against openapi.yaml.
type basketUnderTest struct {
	*testkit.ServiceUnderTest
	DB *pgxpool.Pool
	// Logs holds what the service logged, at debug level (startBasket).
	Logs *testkit.LogBuffer
	// Issuer is the issuer the service trusts.
	Issuer *testkit.Issuer
}

// startBasket starts the service on a fresh database, its debug logs
// captured, and waits until it is ready; it stops when the test ends.
func startBasket(t testing.TB) *basketUnderTest {
	t.Helper()
	logs := &testkit.LogBuffer{}
	s := launchBasket(t, map[string]string{"DATABASE_URL": testkit.NewDatabase(t), "LOG_LEVEL": "debug"}, logs)
	s.Logs = logs
	testkit.WaitReady(t, s.URL)
	return s
}

// launchBasket starts the service with env (which names its DATABASE_URL),
// trusting a test issuer of its own, its logs written to logs, and returns
// at once, ready or not.
func launchBasket(t testing.TB, env map[string]string, logs io.Writer) *basketUnderTest {
	t.Helper()
	iss := testkit.NewIssuer(t)
	env = maps.Clone(env)
	maps.Copy(env, iss.Env())
	s := testkit.LaunchService(t, "basket", service.New, env, logs)
	s.Client.Contract = testkit.LoadContract(t, "../../openapi.yaml")
	db := testkit.OpenPool(t, env["DATABASE_URL"])
	return &basketUnderTest{ServiceUnderTest: s, DB: db, Issuer: iss}
}

// asOwnerOf returns the client of test t calling as the buyer whose
// basket path names (/api/basket/{buyerId}…): the tests of what a basket
// does call as its owner; access_test.go calls as others.
func (s *basketUnderTest) asOwnerOf(t testing.TB, path string) *testkit.Client {
	buyer, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/basket/"), "/")
	if decoded, err := url.PathUnescape(buyer); err == nil {
		buyer = decoded
	}
	return s.Client.As(s.Issuer.Buyer(buyer)).For(t)
}

// do sends a request, as the owner of the basket of path, with a body (nil
// for none; a string as it is, JSON otherwise) and header pairs, and
// returns the status, the body and the headers.
func (s *basketUnderTest) do(t testing.TB, method, path string, body any, header ...string) (int, []byte, http.Header) {
	t.Helper()
	res := s.asOwnerOf(t, path).Do(method, path, body, header...)
	return res.Status, res.Body, res.Header
}

// problem sends a request, as the owner of the basket of path, that must
// answer problem details with status want, with a title, naming field
// among its errors (unless field is "").
func (s *basketUnderTest) problem(t testing.TB, method, path string, body any, want int, field string, header ...string) testkit.Problem {
	t.Helper()
	p := s.asOwnerOf(t, path).Problem(method, path, body, want, header...)
	if p.Title == "" {
		t.Fatalf("%s %s: a problem without a title: %+v", method, path, p)
	}
	if field != "" && len(p.Errors[field]) == 0 {
		t.Fatalf("%s %s: the problem %+v does not name %s", method, path, p, field)
	}
	return p
}

type basketJSON struct {
	BuyerID string     `json:"buyerId"`
	Items   []itemJSON `json:"items"`
}

type itemJSON struct {
	ID           string       `json:"id,omitempty"`
	ProductID    int64        `json:"productId"`
	ProductName  string       `json:"productName"`
	UnitPrice    json.Number  `json:"unitPrice"` // the digits as sent: "10.00"
	OldUnitPrice *json.Number `json:"oldUnitPrice,omitempty"`
	Quantity     int          `json:"quantity"`
	PictureURL   string       `json:"pictureUrl"`
}

func item(product int64, price string) itemJSON {
	return itemJSON{ProductID: product, ProductName: "product", UnitPrice: json.Number(price), Quantity: 1, PictureURL: "p.png"}
}

// prices returns each line's "unitPrice/oldUnitPrice" ("-" for no old price).
func (b basketJSON) prices() []string {
	out := make([]string, len(b.Items))
	for i, it := range b.Items {
		old := "-"
		if it.OldUnitPrice != nil {
			old = string(*it.OldUnitPrice)
		}
		out[i] = string(it.UnitPrice) + "/" + old
	}
	return out
}

// checkPrices fails the test unless the buyer's basket holds lines at want,
// in order, each written as prices writes it.
func (s *basketUnderTest) checkPrices(t testing.TB, buyer string, want ...string) {
	t.Helper()
	if got := s.getBasket(t, buyer).prices(); !slices.Equal(got, want) {
		t.Errorf("%s's basket: %v, want %v", buyer, got, want)
	}
}

func (s *basketUnderTest) getBasket(t testing.TB, buyer string) basketJSON {
	t.Helper()
	var b basketJSON
	s.asOwnerOf(t, "/api/basket/"+buyer).JSON(http.MethodGet, "/api/basket/"+buyer, nil, http.StatusOK, &b)
	return b
}

func (s *basketUnderTest) putBasket(t testing.TB, buyer string, items ...itemJSON) basketJSON {
	t.Helper()
	var b basketJSON
	s.asOwnerOf(t, "/api/basket/"+buyer).JSON(http.MethodPut, "/api/basket/"+buyer, map[string]any{"items": items}, http.StatusOK, &b)
	return b
}

// publishRaw publishes an event the way another service's event bus does,
// with amqp091 and the wire contract of docs/events.md, not with this service's
// types. It waits for the broker's confirm.
func (s *basketUnderTest) publishRaw(t testing.TB, name string, id uuid.UUID, body string) {
	t.Helper()
	msg := testkit.EventMessage(name, id.String(), "test", []byte(body))
	msg.Headers = amqp.Table{"x-correlation-id": "raw-" + id.String()}
	testkit.PublishEvent(t, s.Exchange, msg)
}

// The inbox names of the basket's handlers: the inbox records each event
// a handler has handled under its name.
const (
	followPriceChange   = "basket.follow_price_change"
	deleteOrderedBasket = "basket.delete_ordered_basket"
)

// waitHandled waits until the inbox records that handler has handled the
// event id: its effects are committed.
func (s *basketUnderTest) waitHandled(t testing.TB, handler string, id uuid.UUID) {
	t.Helper()
	testkit.WaitFor(t, handler+" to handle event "+id.String(), func() bool {
		var handled bool
		err := s.DB.QueryRow(context.Background(),
			`SELECT EXISTS (SELECT 1 FROM integration_event_inbox WHERE event_id = $1 AND handler = $2)`, id, handler).Scan(&handled)
		if err != nil {
			t.Fatal(err)
		}
		return handled
	})
}
