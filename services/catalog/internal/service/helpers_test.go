package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/service"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"
)

// catalogUnderTest is the real catalog service, started on a free port with
// its own database, exchange and queue.
type catalogUnderTest struct {
	t        testing.TB
	URL      string // e.g. http://127.0.0.1:41234
	DB       *pgxpool.Pool
	Exchange string
	Prefix   string // every queue of the test starts with it
	openapi  *responseChecker
}

// testLogger writes the service's warnings and errors to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewJSONHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// startCatalog starts the service and waits until it is ready; it stops
// when the test ends.
func startCatalog(t testing.TB) *catalogUnderTest {
	t.Helper()
	dbURL := testkit.NewDatabase(t)
	exchange, prefix := testkit.Broker(t)
	addr := testkit.FreeAddr(t)
	svc, err := service.New(service.Config{
		HTTPAddr: addr, DatabaseURL: dbURL, RabbitMQURL: testkit.RabbitURL(),
		Exchange: exchange, Queue: prefix + "_catalog",
	}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	testkit.RunService(t, svc)
	c := &catalogUnderTest{t: t, URL: "http://" + addr, Exchange: exchange, Prefix: prefix, openapi: newResponseChecker(t)}
	testkit.WaitReady(t, c.URL)
	c.DB, err = pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.DB.Close)
	return c
}

// do sends a request with an optional JSON body and returns the status, the
// headers and the body.
func (c *catalogUnderTest) do(method, path, body string) (int, http.Header, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.URL+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	c.openapi.check(c.t, req, res.StatusCode, res.Header, b)
	return res.StatusCode, res.Header, b
}

// getJSON sends a request that must answer want, and decodes the body.
func (c *catalogUnderTest) json(method, path, body string, want int, into any) http.Header {
	c.t.Helper()
	status, h, b := c.do(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, b)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return h
}

// problem is an RFC 9457 problem details body.
type problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors map[string][]string `json:"errors"`
}

// problem sends a request that must answer a problem with status want, and
// returns it.
func (c *catalogUnderTest) problem(method, path, body string, want int) problem {
	c.t.Helper()
	status, h, b := c.do(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d; body %.300s", method, path, status, want, b)
	}
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		c.t.Fatalf("%s %s: Content-Type %q, want application/problem+json", method, path, ct)
	}
	var p problem
	if err := json.Unmarshal(b, &p); err != nil {
		c.t.Fatalf("%s %s: decode problem %s: %v", method, path, b, err)
	}
	if p.Status != want {
		c.t.Fatalf("%s %s: problem status %d, want %d", method, path, p.Status, want)
	}
	return p
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
