package rabbitmq_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// patience bounds every wait of these tests so that a broken bus fails the
// test instead of hanging it. It is not a performance assertion.
const patience = 60 * time.Second

// orderStarted is a typed event as a consuming service would declare it.
type orderStarted struct {
	eventbus.IntegrationEvent
	UserID string `json:"UserId"`
}

func (orderStarted) EventName() string { return "OrderStartedIntegrationEvent" }

// testBroker is the isolated part of the broker one test uses: its own
// exchange, and names for its queues and connections that all start with
// prefix, so that testkit removes everything afterwards and
// testkit.CloseConnections(t, prefix) touches only this test's connections.
type testBroker struct {
	t        testing.TB
	exchange string
	prefix   string
}

func newTestBroker(t testing.TB) testBroker {
	exchange, prefix := testkit.Broker(t)
	return testBroker{t: t, exchange: exchange, prefix: prefix}
}

// config returns a configuration for the service (queue) svc of this test.
func (tb testBroker) config(svc string) rabbitmq.Config {
	return rabbitmq.Config{
		URL:          testkit.RabbitURL(),
		Exchange:     tb.exchange,
		Queue:        tb.prefix + "_" + svc,
		AppID:        tb.prefix + "_" + svc,
		RetryBackoff: 5 * time.Millisecond,
		Logger:       testLogger(tb.t),
	}
}

// bus starts a bus that is closed when the test ends.
func (tb testBroker) bus(cfg rabbitmq.Config) *rabbitmq.Bus {
	tb.t.Helper()
	b, err := rabbitmq.New(context.Background(), cfg)
	if err != nil {
		tb.t.Fatalf("New: %v", err)
	}
	tb.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := b.Close(ctx); err != nil {
			tb.t.Errorf("Close: %v", err)
		}
	})
	return b
}

// raw opens a plain amqp091 channel on the broker, closed when the test ends.
func (tb testBroker) raw() *amqp.Channel {
	tb.t.Helper()
	conn, err := amqp.DialConfig(testkit.RabbitURL(), amqp.Config{
		Properties: amqp.Table{"connection_name": tb.prefix + "-raw"},
	})
	if err != nil {
		tb.t.Fatalf("dial: %v", err)
	}
	tb.t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		tb.t.Fatalf("channel: %v", err)
	}
	return ch
}

// within returns a context that ends after patience or with the test.
func within(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	t.Cleanup(cancel)
	return ctx
}

// testLogger logs warnings and errors to the test's output, and nothing
// once the test ended (the bus's goroutines may still log while closing).
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{w: t.Output()}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu      sync.Mutex
	w       io.Writer
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return len(p), nil
	}
	return w.w.Write(p)
}

func (w *testWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
}

// seen records which message ids were handled, and how often.
type seen struct {
	mu      sync.Mutex
	count   map[uuid.UUID]int
	changed chan struct{}
}

func newSeen() *seen {
	return &seen{count: map[uuid.UUID]int{}, changed: make(chan struct{})}
}

func (s *seen) add(id uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count[id]++
	close(s.changed)
	s.changed = make(chan struct{})
}

// handler records every message and succeeds.
func (s *seen) handler(_ context.Context, m eventbus.Message) error {
	s.add(m.ID)
	return nil
}

// distinct is the number of different ids handled.
func (s *seen) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.count)
}

// duplicates is the number of handlings beyond the first of each id.
func (s *seen) duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := 0
	for _, n := range s.count {
		d += n - 1
	}
	return d
}

func (s *seen) has(id uuid.UUID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[id] > 0
}

// waitDistinct waits until n different ids were handled.
func (s *seen) waitDistinct(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(patience)
	for {
		s.mu.Lock()
		got, changed := len(s.count), s.changed
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("handled %d different events, want %d", got, n)
		}
	}
}

// waitUntil polls cond until it holds.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// message returns a dynamic message of the given event name with a fresh id.
func message(name string) eventbus.Message {
	id := uuid.New()
	return eventbus.Message{
		ID:   id,
		Name: name,
		Time: time.Now().UTC(),
		Body: fmt.Appendf(nil, `{"Id":%q,"CreationDate":%q}`, id, time.Now().UTC().Format(time.RFC3339Nano)),
	}
}

// queueDepth is the number of ready messages in a queue.
func queueDepth(t testing.TB, ch *amqp.Channel, queue string) int {
	t.Helper()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return q.Messages
}

// waitParked waits until the dead-letter queue of cfg's queue holds a
// message, and returns what it holds.
func waitParked(t testing.TB, ctx context.Context, cfg rabbitmq.Config) []rabbitmq.DeadLetter {
	t.Helper()
	var parked []rabbitmq.DeadLetter
	waitUntil(t, "a message in the dead-letter queue", func() bool {
		var err error
		if parked, err = rabbitmq.ListDeadLetters(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		return len(parked) > 0
	})
	return parked
}

// publishAmong publishes odd, then n more messages of its name.
func publishAmong(t testing.TB, ctx context.Context, bus *rabbitmq.Bus, odd eventbus.Message, n int) {
	t.Helper()
	if err := bus.Publish(ctx, odd); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := bus.Publish(ctx, message(odd.Name)); err != nil {
			t.Fatal(err)
		}
	}
}

// wantNoDeadLetters fails the test unless the dead-letter queue of cfg's
// queue is empty.
func wantNoDeadLetters(t testing.TB, ctx context.Context, cfg rabbitmq.Config) {
	t.Helper()
	if parked, err := rabbitmq.ListDeadLetters(ctx, cfg); err != nil || len(parked) != 0 {
		t.Errorf("dead letters: %d, %v; want none", len(parked), err)
	}
}
