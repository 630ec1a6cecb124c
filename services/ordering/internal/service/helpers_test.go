package service_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// startOrdering runs the real ordering service (host.Run) until the test
// ends and returns its base URL once it is ready. Its debug logs go to logs
// (nil for nowhere) so that a test can check what reached them; TEST_LOG=1
// also prints them.
func startOrdering(t testing.TB, cfg service.Config, logs *testkit.LogBuffer) string {
	t.Helper()
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = testkit.FreeAddr(t)
	}
	if logs == nil {
		logs = &testkit.LogBuffer{}
	}
	logger := slog.New(slog.NewJSONHandler(testkit.ShowLogsIfAsked(logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := service.New(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	testkit.RunService(t, svc)
	base := "http://" + cfg.HTTPAddr
	testkit.WaitReady(t, base)
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
// (durable, direct) and binds the test's queue prefix_role to the given
// event names.
func newWire(t testing.TB, exchange, prefix, role string, observe ...string) *wire {
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
	queue := testkit.BindTestQueue(t, ch, exchange, prefix, role, observe...)
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
	testkit.WaitFor(w.t, name+" of order "+ftoa(orderID), func() bool {
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
