package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/service"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// basketService is a running basket service with its own database, exchange
// and queue, and its logs captured.
type basketService struct {
	url      string
	exchange string
	prefix   string
	logs     *testkit.LogBuffer
}

// startBasket starts the real service on a free port, with a fresh
// database, and waits until it is ready.
func startBasket(t testing.TB) *basketService {
	t.Helper()
	s := launchBasket(t, testkit.NewDatabase(t), testkit.RabbitURL())
	s.waitReady(t)
	return s
}

// launchBasket starts the service on dbURL and rabbitURL, with its debug
// logs captured, and returns at once, ready or not.
func launchBasket(t testing.TB, dbURL, rabbitURL string) *basketService {
	t.Helper()
	logs := &testkit.LogBuffer{}
	s := launchBasketLogging(t, dbURL, rabbitURL, logs, "debug")
	s.logs = logs
	return s
}

// launchBasketLogging is launchBasket with the logs written to w at level.
func launchBasketLogging(t testing.TB, dbURL, rabbitURL string, w io.Writer, level string) *basketService {
	t.Helper()
	exchange, prefix := testkit.Broker(t)
	addr := testkit.FreeAddr(t)
	logger, err := host.NewLogger(w, level, service.Name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := service.Config{
		HTTPAddr: addr, DatabaseURL: dbURL, RabbitMQURL: rabbitURL,
		Exchange: exchange, Queue: prefix + "_basket", LogLevel: level, ShutdownTimeout: 15 * time.Second,
	}
	svc, err := service.New(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	testkit.RunService(t, svc)
	return &basketService{url: "http://" + addr, exchange: exchange, prefix: prefix}
}

func (s *basketService) waitReady(t testing.TB) {
	t.Helper()
	testkit.WaitReady(t, s.url)
}

// do sends a request with a JSON body (nil for none) and returns the
// status and the body.
func (s *basketService) do(t testing.TB, method, path string, body any, headers ...string) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, req, res.StatusCode, res.Header, out)
	return res.StatusCode, out, res.Header
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

func (s *basketService) getBasket(t testing.TB, buyer string) basketJSON {
	t.Helper()
	status, body, _ := s.do(t, http.MethodGet, "/api/basket/"+buyer, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", buyer, status, body)
	}
	var b basketJSON
	if err := decodeNumbers(body, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *basketService) putBasket(t testing.TB, buyer string, items ...itemJSON) basketJSON {
	t.Helper()
	status, body, _ := s.do(t, http.MethodPut, "/api/basket/"+buyer, map[string]any{"items": items})
	if status != http.StatusOK {
		t.Fatalf("PUT %s: %d %s", buyer, status, body)
	}
	var b basketJSON
	if err := decodeNumbers(body, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// publishRaw publishes an event the way another service's event bus does,
// with amqp091 and the wire contract of events.md, not with this service's
// types. It waits for the broker's confirm.
func (s *basketService) publishRaw(t testing.TB, name string, id uuid.UUID, body string) {
	t.Helper()
	msg := testkit.EventMessage(name, id.String(), "test", []byte(body))
	msg.Headers = amqp.Table{"x-correlation-id": "raw-" + id.String()}
	testkit.PublishEvent(t, s.exchange, msg)
}

// waitHandled waits until the service has settled n deliveries of the
// event id (the inbox skips duplicates, but they are settled and logged).
func (s *basketService) waitHandled(t testing.TB, id uuid.UUID, n int) {
	t.Helper()
	testkit.WaitFor(t, "the event to be handled", func() bool {
		return countLines(s.logs.String(), `"msg":"event handled"`, id.String()) >= n
	})
}

// countLines returns how many lines of logs contain every one of parts.
func countLines(logs string, parts ...string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

func decodeNumbers(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(v)
}

// queueLength returns the number of ready messages in queue.
func (s *basketService) queueLength(t testing.TB, queue string) int {
	t.Helper()
	conn, err := amqp.Dial(testkit.RabbitURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("queue %s: %v", queue, err)
	}
	return q.Messages
}
