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
)

// orderStarted is a typed event as a consuming service would declare it.
type orderStarted struct {
	eventbus.IntegrationEvent
	UserID string `json:"UserId"`
}

func (orderStarted) EventName() string { return "OrderStartedIntegrationEvent" }

func (orderStarted) Publisher() string { return testPublisher }

// testPublisher is the service that publishes every event of these tests; it
// connects as the test broker's user (config).
const testPublisher = "tests"

// testBroker is the isolated part of the broker one test uses: its own
// exchange, and names for its queues and connections that all start with
// prefix, so that testkit removes everything afterwards and
// testkit.CloseConnections(t, prefix) touches only this test's connections.
type testBroker struct {
	t        testing.TB
	exchange string
	prefix   string
}

// newTestBroker returns the test's part of the broker, and a context for
// what the test does there that ends after testkit.Patience or with the
// test.
func newTestBroker(t testing.TB) (testBroker, context.Context) {
	exchange, prefix := testkit.Broker(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	t.Cleanup(cancel)
	return testBroker{t: t, exchange: exchange, prefix: prefix}, ctx
}

// config returns a configuration for the service (queue) svc of this test.
func (tb testBroker) config(svc string) rabbitmq.Config {
	return rabbitmq.Config{
		URL:            testkit.RabbitURL(),
		Exchange:       tb.exchange,
		Queue:          tb.prefix + "_" + svc,
		AppID:          tb.prefix + "_" + svc,
		RetryBackoff:   5 * time.Millisecond,
		Logger:         testLogger(tb.t),
		PublisherUsers: map[string]string{testPublisher: testkit.RabbitUser()},
	}
}

// configViaProxy is config(svc) with the connections going through a proxy
// to the broker, which the test can cut.
func (tb testBroker) configViaProxy(svc string) (rabbitmq.Config, *testkit.Proxy) {
	proxy := testkit.NewBrokerProxy(tb.t)
	cfg := tb.config(svc)
	cfg.URL = proxy.URL(cfg.URL)
	return cfg, proxy
}

// bus starts a bus that is closed when the test ends.
func (tb testBroker) bus(cfg rabbitmq.Config) *rabbitmq.Bus { return testkit.StartBus(tb.t, cfg) }

// declare subscribes a bus of cfg to the event names and closes it, as an
// earlier run of the service did: cfg's queue is there, bound to the names,
// and collects their events until a bus consumes it again.
func (tb testBroker) declare(ctx context.Context, cfg rabbitmq.Config, names ...string) {
	tb.t.Helper()
	earlier := tb.bus(cfg)
	for _, name := range names {
		if _, err := earlier.Subscribe(ctx, eventbus.Route{EventName: name, Publisher: testPublisher, Handler: newSeen().handler}); err != nil {
			tb.t.Fatal(err)
		}
	}
	if err := earlier.Close(ctx); err != nil {
		tb.t.Fatal(err)
	}
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
	deadline := time.After(testkit.Patience)
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

// publish publishes n messages of the event name.
func publish(t testing.TB, ctx context.Context, bus eventbus.Publisher, name string, n int) {
	t.Helper()
	for range n {
		if err := bus.Publish(ctx, message(name)); err != nil {
			t.Fatal(err)
		}
	}
}

// subscribe subscribes h to the event name on bus.
func subscribe(t testing.TB, ctx context.Context, bus eventbus.Subscriber, name string, h eventbus.Handler) eventbus.Subscription {
	t.Helper()
	sub, err := bus.Subscribe(ctx, eventbus.Route{EventName: name, Publisher: testPublisher, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// waitParked waits until the dead-letter queue of cfg's queue holds at
// least n messages, and returns what it holds.
func waitParked(t testing.TB, ctx context.Context, cfg rabbitmq.Config, n int) []rabbitmq.DeadLetter {
	t.Helper()
	var parked []rabbitmq.DeadLetter
	testkit.WaitFor(t, fmt.Sprintf("%d messages in the dead-letter queue", n), func() bool {
		var err error
		if parked, err = rabbitmq.ListDeadLetters(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		return len(parked) >= n
	})
	return parked
}

// wantNoDeadLetters fails the test unless the dead-letter queue of cfg's
// queue is empty.
func wantNoDeadLetters(t testing.TB, ctx context.Context, cfg rabbitmq.Config) {
	t.Helper()
	if parked, err := rabbitmq.ListDeadLetters(ctx, cfg); err != nil || len(parked) != 0 {
		t.Errorf("dead letters: %d, %v; want none", len(parked), err)
	}
}

// gate holds the handler calls that pass it until the test opens it, and
// tells the test when a call arrived (running).
type gate struct {
	running chan struct{}
	opened  chan struct{}
}

func newGate() gate {
	return gate{running: make(chan struct{}, 1), opened: make(chan struct{})}
}

// pass signals running and waits until the gate opens. A correct
// Unsubscribe waits for the very call that waits for it here; so the call
// gives up after a while instead of deadlocking the test.
func (g gate) pass() {
	select {
	case g.running <- struct{}{}:
	default:
	}
	select {
	case <-g.opened:
	case <-time.After(time.Second):
	}
}

func (g gate) open() { close(g.opened) }
