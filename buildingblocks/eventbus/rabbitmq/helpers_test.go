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
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// orderStarted is a typed event as a consuming service would declare it.
type orderStarted struct {
	eventbus.IntegrationEvent
	UserID string `json:"UserId"`
}

func (orderStarted) EventName() string { return "OrderStartedIntegrationEvent" }

func (orderStarted) Publisher() string { return testPublisher }

// testPublisher is the service that publishes every event of these tests,
// the conformance suite's; it connects as the test broker's user (config).
const testPublisher = bustest.Publisher

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
		Queue:          tb.queue(svc),
		AppID:          tb.queue(svc),
		RetryBackoff:   5 * time.Millisecond,
		Logger:         testLogger(tb.t),
		PublisherUsers: map[string]string{testPublisher: testkit.RabbitUser()},
	}
}

// queue is the queue of the service svc of this test.
func (tb testBroker) queue(svc string) string { return tb.prefix + "_" + svc }

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
		if _, err := earlier.Subscribe(ctx, eventbus.Route{EventName: name, Publisher: testPublisher, Handler: bustest.NewSeen().Handle}); err != nil {
			tb.t.Fatal(err)
		}
	}
	if err := earlier.Close(ctx); err != nil {
		tb.t.Fatal(err)
	}
}

// testLogger logs warnings and errors to the test's output, and nothing
// once the test ended (the bus's goroutines may still log while closing),
// nor without a test (the crash loop's dying service).
func testLogger(t testing.TB) *slog.Logger {
	if t == nil {
		return slog.New(slog.DiscardHandler)
	}
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
