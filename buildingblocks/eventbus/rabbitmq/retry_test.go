package rabbitmq_test

import (
	"context"
	"errors"
	"fmt"
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
	tb := newTestBroker(t)
	ctx := within(t)
	cfg := tb.config("basket")
	cfg.Concurrency = 1
	setup := tb.bus(cfg)
	if _, err := setup.Subscribe(ctx, "PriceChanged", newSeen().handler); err != nil {
		t.Fatal(err)
	}
	if err := setup.Close(ctx); err != nil {
		t.Fatal(err)
	}
	const backlog, restarts = 10, 10
	publisher := tb.bus(tb.config("catalog"))
	for range backlog {
		if err := publisher.Publish(ctx, message("PriceChanged")); err != nil {
			t.Fatal(err)
		}
	}

	raw := tb.raw()
	dlq := rabbitmq.DeadLetterQueue(cfg.Queue)
	handled := newSeen()
	for restart := range restarts {
		consumer, err := rabbitmq.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		called, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		if _, err := consumer.Subscribe(ctx, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
			once.Do(func() { close(called) })
			<-release
			return handled.handler(ctx, m)
		}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "a handler call or a parked message", func() bool {
			select {
			case <-called:
				return true
			default:
				return queueDepth(t, raw, dlq) > 0
			}
		})
		if n := queueDepth(t, raw, dlq); n > 0 {
			t.Fatalf("restart %d: %d messages parked, none failed", restart+1, n)
		}
		closed := make(chan error, 1)
		go func() { closed <- consumer.Close(ctx) }()
		// Once Close began, no further message is handled: Subscribe is
		// refused from then on, which tells the test that it began.
		waitUntil(t, "Close to begin", func() bool {
			_, err := consumer.Subscribe(ctx, "Probe", newSeen().handler)
			return errors.Is(err, eventbus.ErrClosed)
		})
		close(release)
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
	}

	if _, err := tb.bus(cfg).Subscribe(ctx, "PriceChanged", handled.handler); err != nil {
		t.Fatal(err)
	}
	handled.waitDistinct(t, backlog)
	if n := queueDepth(t, raw, dlq); n != 0 {
		t.Errorf("%d messages parked, none failed", n)
	}
}

// A message waiting for its retry holds no handler slot: among 1,000
// healthy messages, 100 that fail twice each wait in the broker, and every
// healthy one is handled before the first retry comes back.
func TestHealthyMessagesFlowWhileFailingOnesWaitForTheirRetry(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
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
	if _, err := bus.Subscribe(ctx, "StockConfirmed", func(ctx context.Context, m eventbus.Message) error {
		mu.Lock()
		order = append(order, "healthy")
		lastHealthy = time.Since(start)
		mu.Unlock()
		return healthyDone.handler(ctx, m)
	}); err != nil {
		t.Fatal(err)
	}
	failingDone := newSeen()
	if _, err := bus.Subscribe(ctx, "PaymentSucceeded", func(ctx context.Context, m eventbus.Message) error {
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
	}); err != nil {
		t.Fatal(err)
	}

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

// A handler that panics on one message every time is a failing handler:
// the message is parked after MaxAttempts with the last error, and the
// others are handled.
func TestMessageWhoseHandlerPanicsIsParkedWithTheLastError(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	cfg := tb.config("catalog")
	cfg.MaxAttempts = 3
	bus := tb.bus(cfg)
	poison := message("OrderPaid")
	var calls atomic.Int32
	others := newSeen()
	if _, err := bus.Subscribe(ctx, "OrderPaid", func(ctx context.Context, m eventbus.Message) error {
		if m.ID == poison.ID {
			calls.Add(1)
			panic("index out of range")
		}
		return others.handler(ctx, m)
	}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	publishAmong(t, ctx, bus, poison, n)
	others.waitDistinct(t, n)
	parked := waitParked(t, ctx, cfg)
	if len(parked) != 1 || parked[0].ID != poison.ID {
		t.Fatalf("parked %+v, want the poison message", parked)
	}
	if got := parked[0].Headers["x-last-error"]; !strings.Contains(got, "index out of range") {
		t.Errorf("x-last-error = %q, want the panic", got)
	}
	if p := parked[0]; p.Reason != rabbitmq.ReasonFailed || p.Attempts != cfg.MaxAttempts || p.LastError != p.Headers["x-last-error"] {
		t.Errorf("parked with reason %q after %d attempts, last error %q; want failed after %d, x-last-error", p.Reason, p.Attempts, p.LastError, cfg.MaxAttempts)
	}
	if got := calls.Load(); got != int32(cfg.MaxAttempts) {
		t.Errorf("handler called %d times for the poison message, want %d", got, cfg.MaxAttempts)
	}
}

// A message that kills its consumer every time is handled (the handler
// starts) CrashLoopDeliveries times and then parked with the reason; every
// other message is handled.
func TestMessageThatKillsItsConsumerEveryTimeIsParkedAfterTheCrashLoopBound(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	proxy := testkit.NewProxy(t, brokerAddr(t))
	cfg := tb.config("catalog")
	cfg.URL = proxy.URL(cfg.URL)
	consumer := tb.bus(cfg)
	deadly := message("OrderPaid")
	// The handler sends the test a channel and waits for it: meanwhile the
	// test drops the connection, as if the process died in the handler.
	dying := make(chan chan struct{})
	others := newSeen()
	if _, err := consumer.Subscribe(ctx, "OrderPaid", func(ctx context.Context, m eventbus.Message) error {
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
	}); err != nil {
		t.Fatal(err)
	}
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
	raw := tb.raw()
	dlq := rabbitmq.DeadLetterQueue(cfg.Queue)
	crashes := 0
	for queueDepth(t, raw, dlq) == 0 {
		select {
		case dead := <-dying:
			crashes++
			proxy.Drop()
			close(dead)
			if crashes == 2 {
				for range n {
					if err := publisher.Publish(ctx, message("OrderPaid")); err != nil {
						t.Fatal(err)
					}
				}
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
	tb := newTestBroker(t)
	ctx := within(t)
	cfg := tb.config("ordering")
	bus := tb.bus(cfg)

	failing := make(chan struct{})
	replaced := make(chan struct{})
	var once sync.Once
	first, err := bus.Subscribe(ctx, "PaymentSucceeded", func(context.Context, eventbus.Message) error {
		once.Do(func() { close(failing) })
		holdUntil(replaced)
		return errors.New("payment service unavailable")
	})
	if err != nil {
		t.Fatal(err)
	}
	m := message("PaymentSucceeded")
	if err := bus.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	select {
	case <-failing:
	case <-ctx.Done():
		t.Fatal("handler not called")
	}
	second := newSeen()
	if _, err := bus.Subscribe(ctx, "PaymentSucceeded", second.handler); err != nil {
		t.Fatal(err)
	}
	if err := first.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	close(replaced)

	second.waitDistinct(t, 1)
	if !second.has(m.ID) {
		t.Errorf("the new handler got another message than %s", m.ID)
	}
	wantNoDeadLetters(t, ctx, cfg)
}

// An event a handler finds invalid is parked at once, without retries,
// with the handler's reason; the others flow on.
func TestInvalidEventIsParkedAtOnceWithTheReason(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	cfg := tb.config("basket")
	bus := tb.bus(cfg)
	invalid := message("PriceChanged")
	var calls atomic.Int32
	others := newSeen()
	if _, err := bus.Subscribe(ctx, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
		if m.ID == invalid.ID {
			calls.Add(1)
			return fmt.Errorf("%w: price -1 is not an amount", eventbus.ErrInvalidEvent)
		}
		return others.handler(ctx, m)
	}); err != nil {
		t.Fatal(err)
	}
	const n = 10
	publishAmong(t, ctx, bus, invalid, n)
	others.waitDistinct(t, n)
	parked := waitParked(t, ctx, cfg)
	if len(parked) != 1 || parked[0].ID != invalid.ID || !strings.Contains(parked[0].Headers["x-last-error"], "price -1 is not an amount") {
		t.Errorf("parked %+v, want the invalid event with its reason", parked)
	} else if p := parked[0]; p.Reason != rabbitmq.ReasonInvalid || p.Attempts != 1 || p.ParkedAt.IsZero() {
		t.Errorf("parked with reason %q after %d attempts at %v; want invalid after 1, a time", p.Reason, p.Attempts, p.ParkedAt)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("handler called %d times for the invalid event, want 1", got)
	}
}
