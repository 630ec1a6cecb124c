package rabbitmq_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// Attempts are handler failures, not deliveries: a consumer closed while
// it holds prefetched messages returns them unhandled, and that does not
// bring them closer to the dead-letter queue. Defaults (prefetch 256, 5
// attempts), one handler at a time, ten graceful restarts, each handling
// one message of the backlog.
func TestGracefulRestartsWithABacklogParkNothing(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	cfg.Concurrency = 1
	tb.declare(ctx, cfg, "PriceChanged")
	const backlog, restarts = 10, 10
	publish(t, ctx, tb.bus(tb.config("catalog")), "PriceChanged", backlog)

	dlq := rabbitmq.DeadLetterQueue(cfg.Queue)
	handled := newSeen()
	for restart := range restarts {
		consumer, err := rabbitmq.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		called, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		subscribe(t, ctx, consumer, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
			once.Do(func() { close(called) })
			<-release
			return handled.handler(ctx, m)
		})
		testkit.WaitFor(t, "a handler call or a parked message", func() bool {
			select {
			case <-called:
				return true
			default:
				return testkit.QueueLength(t, dlq) > 0
			}
		})
		if n := testkit.QueueLength(t, dlq); n > 0 {
			t.Fatalf("restart %d: %d messages parked, none failed", restart+1, n)
		}
		closed := make(chan error, 1)
		go func() { closed <- consumer.Close(ctx) }()
		// Once Close began, no further message is handled: Subscribe is
		// refused from then on, which tells the test that it began.
		testkit.WaitFor(t, "Close to begin", func() bool {
			_, err := consumer.Subscribe(ctx, eventbus.Route{EventName: "Probe", Publisher: testPublisher, Handler: newSeen().handler})
			return errors.Is(err, eventbus.ErrClosed)
		})
		close(release)
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
	}

	subscribe(t, ctx, tb.bus(cfg), "PriceChanged", handled.handler)
	handled.waitDistinct(t, backlog)
	if n := testkit.QueueLength(t, dlq); n != 0 {
		t.Errorf("%d messages parked, none failed", n)
	}
}

// A message waiting for its retry holds no handler slot: among 1,000
// healthy messages, 100 that fail twice each wait in the broker, and every
// healthy one is handled before the first retry comes back.
func TestHealthyMessagesFlowWhileFailingOnesWaitForTheirRetry(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("ordering")
	cfg.Concurrency = 4
	// Long enough for the healthy messages to be handled many times over
	// before the first retry, were they not held up; the test asserts the
	// order of events, not a time.
	cfg.RetryBackoff = 4 * time.Second
	bus := tb.bus(cfg)

	const healthy, failing = 1000, 100
	var mu sync.Mutex
	var order []string // "healthy" when one is handled, "retry" when a retry starts
	attempts := map[uuid.UUID][]int{}
	start := time.Now()
	var lastHealthy time.Duration
	healthyDone := newSeen()
	subscribe(t, ctx, bus, "StockConfirmed", func(ctx context.Context, m eventbus.Message) error {
		mu.Lock()
		order = append(order, "healthy")
		lastHealthy = time.Since(start)
		mu.Unlock()
		return healthyDone.handler(ctx, m)
	})
	failingDone := newSeen()
	subscribe(t, ctx, bus, "PaymentSucceeded", func(ctx context.Context, m eventbus.Message) error {
		mu.Lock()
		attempts[m.ID] = append(attempts[m.ID], m.Attempt)
		if m.Attempt > 1 {
			order = append(order, "retry")
		}
		mu.Unlock()
		if m.Attempt <= 2 {
			return errors.New("payment service unavailable")
		}
		return failingDone.handler(ctx, m)
	})

	// One failing message in every eleven, all published at once.
	var msgs []eventbus.Message
	for i := range healthy + failing {
		if i%11 == 0 {
			msgs = append(msgs, message("PaymentSucceeded"))
		} else {
			msgs = append(msgs, message("StockConfirmed"))
		}
	}
	start = time.Now()
	if err := bus.PublishBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	healthyDone.waitDistinct(t, healthy)
	failingDone.waitDistinct(t, failing)

	mu.Lock()
	defer mu.Unlock()
	t.Logf("the healthy messages were handled %v after publishing began", lastHealthy)
	firstRetry := len(order)
	for i, what := range order {
		if what == "retry" {
			firstRetry = i
			break
		}
	}
	if held := healthy - min(firstRetry, healthy); held > 0 {
		t.Errorf("%d healthy messages were handled only after the first retry", held)
	}
	for id, got := range attempts {
		if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
			t.Errorf("message %s: attempts %v, want [1 2 3]", id, got)
		}
	}
	if d := healthyDone.duplicates() + failingDone.duplicates(); d != 0 {
		t.Errorf("%d messages handled twice", d)
	}
	wantNoDeadLetters(t, ctx, cfg)
}

// A message that kills its consumer every time is handled (the handler
// starts) CrashLoopDeliveries times and then parked with the reason; every
// other message is handled.
func TestMessageThatKillsItsConsumerEveryTimeIsParkedAfterTheCrashLoopBound(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("catalog")
	consumer := tb.bus(cfg)
	deadly := message("OrderPaid")
	// The handler sends the test a channel and waits for it: meanwhile the
	// test drops the connection, as if the process died in the handler.
	dying := make(chan chan struct{})
	others := newSeen()
	subscribe(t, ctx, consumer, "OrderPaid", func(ctx context.Context, m eventbus.Message) error {
		if m.ID != deadly.ID {
			return others.handler(ctx, m)
		}
		dead := make(chan struct{})
		select {
		case dying <- dead:
			<-dead
		case <-ctx.Done():
		}
		return nil
	})
	publisher := tb.bus(tb.config("ordering"))
	if err := publisher.Publish(ctx, deadly); err != nil {
		t.Fatal(err)
	}

	// The other messages come after the second crash. Messages delivered
	// together with the deadly one and not yet acknowledged when the
	// process dies are delivered again as often; these, published once
	// the deadly one was delivered twice (the broker may still deliver
	// them on the connection just dropped), stay below the bound.
	const n = 20
	dlq := rabbitmq.DeadLetterQueue(cfg.Queue)
	crashes := 0
	for testkit.QueueLength(t, dlq) == 0 {
		select {
		case dead := <-dying:
			crashes++
			proxy.Drop()
			close(dead)
			if crashes == 2 {
				publish(t, ctx, publisher, "OrderPaid", n)
			}
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("not parked after %d crashes", crashes)
		}
	}
	if crashes != rabbitmq.CrashLoopDeliveries {
		t.Errorf("the handler started %d times, want %d", crashes, rabbitmq.CrashLoopDeliveries)
	}
	parked, err := rabbitmq.ListDeadLetters(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 1 || parked[0].ID != deadly.ID || parked[0].Headers["x-last-error"] == "" {
		for _, p := range parked {
			t.Logf("parked %s %s %v", p.ID, p.AppID, p.Headers)
		}
		t.Errorf("parked %d messages, want the deadly one %s with its reason", len(parked), deadly.ID)
	}
	others.waitDistinct(t, n)
}

// A retry goes to the handlers subscribed when it comes back: the message
// of a failing handler that was replaced meanwhile is handled by the new
// one, not acknowledged unhandled.
func TestRetryOfAMessageWhoseFailingHandlerWasReplacedGoesToTheNewOne(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("ordering")
	bus := tb.bus(cfg)

	replaced := newGate()
	first := subscribe(t, ctx, bus, "PaymentSucceeded", func(context.Context, eventbus.Message) error {
		replaced.pass()
		return errors.New("payment service unavailable")
	})
	m := message("PaymentSucceeded")
	if err := bus.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	select {
	case <-replaced.running:
	case <-ctx.Done():
		t.Fatal("handler not called")
	}
	second := newSeen()
	subscribe(t, ctx, bus, "PaymentSucceeded", second.handler)
	if err := first.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	replaced.open()

	second.waitDistinct(t, 1)
	if !second.has(m.ID) {
		t.Errorf("the new handler got another message than %s", m.ID)
	}
	wantNoDeadLetters(t, ctx, cfg)
}

// A message its handler cannot take is parked with the handler's reason,
// and the others flow on: a handler that panics on it every time is a
// failing handler, so the message is parked after MaxAttempts with the
// last error; an event the handler finds invalid is parked at once,
// without retries.
func TestMessageItsHandlerCannotTakeIsParkedWithTheReason(t *testing.T) {
	const maxAttempts = 3
	for _, tc := range []struct {
		name      string
		fail      func() error
		reason    rabbitmq.ParkReason
		attempts  int
		lastError string
	}{
		{"a handler that panics", func() error { panic("index out of range") },
			rabbitmq.ReasonFailed, maxAttempts, "index out of range"},
		{"an invalid event", func() error { return fmt.Errorf("%w: price -1 is not an amount", eventbus.ErrInvalidEvent) },
			rabbitmq.ReasonInvalid, 1, "price -1 is not an amount"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, ctx := newTestBroker(t)
			cfg := tb.config("catalog")
			cfg.MaxAttempts = maxAttempts
			bus := tb.bus(cfg)
			bad := message("OrderPaid")
			var calls atomic.Int32
			others := newSeen()
			subscribe(t, ctx, bus, "OrderPaid", func(ctx context.Context, m eventbus.Message) error {
				if m.ID == bad.ID {
					calls.Add(1)
					return tc.fail()
				}
				return others.handler(ctx, m)
			})
			if err := bus.Publish(ctx, bad); err != nil {
				t.Fatal(err)
			}
			const n = 20
			publish(t, ctx, bus, "OrderPaid", n)
			others.waitDistinct(t, n)
			parked := waitParked(t, ctx, cfg, 1)
			if len(parked) != 1 || parked[0].ID != bad.ID {
				t.Fatalf("parked %+v, want the message", parked)
			}
			p := parked[0]
			if !strings.Contains(p.Headers["x-last-error"], tc.lastError) || p.LastError != p.Headers["x-last-error"] {
				t.Errorf("parked with last error %q, x-last-error %q; want both %q", p.LastError, p.Headers["x-last-error"], tc.lastError)
			}
			if p.Reason != tc.reason || p.Attempts != tc.attempts || p.ParkedAt.IsZero() {
				t.Errorf("parked with reason %q after %d attempts at %v; want %s after %d, a time", p.Reason, p.Attempts, p.ParkedAt, tc.reason, tc.attempts)
			}
			if got := calls.Load(); got != int32(tc.attempts) {
				t.Errorf("handler called %d times for the message, want %d", got, tc.attempts)
			}
		})
	}
}

// A reader of the logs sees when a failed delivery comes again as a
// duration ("1.5s"), not as a count of nanoseconds.
func TestTheRetryLogSaysWhenAsADuration(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	logs := &testkit.LogBuffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	bus := tb.bus(cfg)
	var calls atomic.Int32
	handled := make(chan struct{})
	subscribe(t, ctx, bus, "OrderPaid", func(context.Context, eventbus.Message) error {
		if calls.Add(1) == 1 {
			return errors.New("not yet")
		}
		close(handled)
		return nil
	})
	publish(t, ctx, bus, "OrderPaid", 1)
	select {
	case <-handled:
	case <-time.After(30 * time.Second):
		t.Fatal("the retried delivery was not handled")
	}
	var retries int
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line struct {
			Msg string `json:"msg"`
			In  any    `json:"in"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || !strings.Contains(line.Msg, "retrying") {
			continue
		}
		retries++
		s, ok := line.In.(string)
		if !ok {
			t.Fatalf("the retry's delay is logged as %v (%T), want a duration such as \"1.5s\"", line.In, line.In)
		}
		if _, err := time.ParseDuration(s); err != nil {
			t.Fatalf("the retry's delay %q is no duration: %v", s, err)
		}
	}
	if retries != 1 {
		t.Fatalf("%d retry lines logged, want 1:\n%s", retries, logs.String())
	}
}
