package service_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/service"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"
)

// catalogUnderTest is the real catalog service, started in-process on a
// free port with its own database, exchange and queue, and a client that
// checks every answer against openapi.yaml and calls as an administrator.
type catalogUnderTest struct {
	*testkit.ServiceUnderTest
	t  testing.TB
	DB *pgxpool.Pool
	// Issuer is the issuer the service trusts; Client sends its Admin token.
	Issuer *testkit.Issuer
}

// startCatalog starts the service with the sample catalog, trusting a test
// issuer of its own, and waits until it is ready; it stops when the test
// ends.
func startCatalog(t testing.TB) *catalogUnderTest {
	t.Helper()
	dbURL := testkit.NewDatabase(t)
	iss := testkit.NewIssuer(t)
	env := iss.Env()
	env["DATABASE_URL"] = dbURL
	s := testkit.StartService(t, "catalog", service.New, env, nil)
	s.Client.Contract = testkit.LoadContract(t, "../../openapi.yaml")
	s.Client.Token = iss.Admin()
	db := testkit.OpenPool(t, dbURL)
	return &catalogUnderTest{ServiceUnderTest: s, t: t, DB: db, Issuer: iss}
}

// For returns the catalog for test t, a subtest of the one that started
// it: a failure stops the subtest.
func (c *catalogUnderTest) For(t testing.TB) *catalogUnderTest {
	cc := *c
	cc.t, cc.Client = t, c.Client.For(t)
	return &cc
}

// do sends a request with an optional JSON body and returns the status, the
// headers and the body.
func (c *catalogUnderTest) do(method, path, body string) (int, http.Header, []byte) {
	c.t.Helper()
	res := c.Client.Do(method, path, optional(body))
	return res.Status, res.Header, res.Body
}

// json sends a request that must answer want, and decodes the body;
// header is pairs of names and values.
func (c *catalogUnderTest) json(method, path, body string, want int, into any, header ...string) http.Header {
	c.t.Helper()
	return c.Client.JSON(method, path, optional(body), want, into, header...).Header
}

// problem sends a request that must answer a problem with status want, and
// returns it; header is pairs of names and values.
func (c *catalogUnderTest) problem(method, path, body string, want int, header ...string) testkit.Problem {
	c.t.Helper()
	return c.Client.Problem(method, path, optional(body), want, header...)
}

// optional is a request body: none for "".
func optional(body string) any {
	if body == "" {
		return nil
	}
	return body
}

// observe binds a queue of the test to the exchange for the event names and
// returns its deliveries.
func (c *catalogUnderTest) observe(names ...string) <-chan amqp.Delivery {
	c.t.Helper()
	return testkit.ObserveEvents(c.t, c.Exchange, c.Prefix, "observer", names...)
}

// publish sends a raw event body to the exchange as ordering would.
func (c *catalogUnderTest) publish(name, id string, body any) {
	c.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	testkit.PublishEvent(c.t, c.Exchange, testkit.EventMessage(name, id, "ordering", b))
}

// next returns the next delivery, or fails the test after testkit.Patience.
func next(t testing.TB, deliveries <-chan amqp.Delivery) amqp.Delivery {
	t.Helper()
	select {
	case d := <-deliveries:
		return d
	case <-time.After(testkit.Patience):
		t.Fatal("no message arrived")
		return amqp.Delivery{}
	}
}

// compactJSON is for messages.
func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}
