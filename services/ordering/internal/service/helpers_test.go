package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// waitFor polls cond; it bounds the wait so that a broken service fails the
// test instead of hanging it (it asserts no duration).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// logBuffer collects a service's log lines (at debug level), so that a test
// can check what reached the logs; TEST_LOG=1 also prints them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if os.Getenv("TEST_LOG") != "" {
		os.Stderr.Write(p)
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startOrdering runs the real ordering service (host.Run) until the test
// ends and returns its base URL once it is ready.
func startOrdering(t testing.TB, cfg service.Config, logs *logBuffer) string {
	t.Helper()
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = freeAddr(t)
	}
	if logs == nil {
		logs = &logBuffer{}
	}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := service.New(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- host.Run(ctx, svc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ordering stopped with an error: %v", err)
		}
	})
	base := "http://" + cfg.HTTPAddr
	waitFor(t, "ordering to be ready", func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return base
}

// wire is a raw AMQP connection to the test's exchange: it publishes events
// in the wire format of events.md, as basket, catalog and payment send
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

// newWire connects to the broker, declares the exchange as the services do
// (durable, direct) and binds a queue of the test to the given event names.
func newWire(t testing.TB, exchange, queue string, observe ...string) *wire {
	t.Helper()
	conn, err := amqp.Dial(testkit.RabbitURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare(exchange, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range observe {
		if err := ch.QueueBind(queue, name, exchange, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	consumeCh, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	deliveries, err := consumeCh.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &wire{t: t, exchange: exchange, ch: ch}
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
	for k, v := range payload {
		body[k] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.ch.PublishWithContext(context.Background(), w.exchange, name, true, false, amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    id.String(),
		Type:         name,
		Timestamp:    time.Now().UTC(),
		AppId:        appID,
		Body:         b,
	}); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// await waits for a published event of that name for order orderID and
// returns its body.
func (w *wire) await(name string, orderID float64) map[string]any {
	w.t.Helper()
	var found map[string]any
	waitFor(w.t, name+" of order "+ftoa(orderID), func() bool {
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

func ftoa(f float64) string { b, _ := json.Marshal(f); return string(b) }

// getJSON GETs url and decodes the answer.
func getJSON(t testing.TB, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if v != nil && res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, b)
		}
	}
	return res.StatusCode
}

func put(t testing.TB, url string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// ready counts the messages waiting in a queue.
func (w *wire) ready(queue string) int {
	w.t.Helper()
	q, err := w.ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return q.Messages
}
