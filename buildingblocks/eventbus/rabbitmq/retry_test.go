package rabbitmq_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
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
	bustest.PublishN(t, ctx, tb.bus(tb.config("catalog")), "PriceChanged", backlog)

	dlq := rabbitmq.DeadLetterQueue(cfg.Queue)
	handled := bustest.NewSeen()
	for restart := range restarts {
		consumer, err := rabbitmq.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		called, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		bustest.Subscribe(t, ctx, consumer, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
			once.Do(func() { close(called) })
			<-release
			return handled.Handle(ctx, m)
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
			_, err := consumer.Subscribe(ctx, eventbus.Route{EventName: "Probe", Publisher: testPublisher, Handler: bustest.NewSeen().Handle})
			return errors.Is(err, eventbus.ErrClosed)
		})
		close(release)
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
	}

	bustest.Subscribe(t, ctx, tb.bus(cfg), "PriceChanged", handled.Handle)
	handled.WaitDistinct(t, backlog)
	if n := testkit.QueueLength(t, dlq); n != 0 {
		t.Errorf("%d messages parked, none failed", n)
	}
}

// A message that kills its consumer every time is handled (the handler
// starts) CrashLoopDeliveries times and then parked with the reason; every
// other message is handled.
func TestMessageThatKillsItsConsumerEveryTimeIsParkedAfterTheCrashLoopBound(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("catalog")
	consumer := tb.bus(cfg)
	deadly := bustest.NewMessage("OrderPaid")
	// The handler sends the test a channel and waits for it: meanwhile the
	// test drops the connection, as if the process died in the handler.
	dying := make(chan chan struct{})
	others := bustest.NewSeen()
	bustest.Subscribe(t, ctx, consumer, "OrderPaid", func(ctx context.Context, m eventbus.Message) error {
		if m.ID != deadly.ID {
			return others.Handle(ctx, m)
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
				bustest.PublishN(t, ctx, publisher, "OrderPaid", n)
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
	others.WaitDistinct(t, n)
}

// A retry goes to the handlers subscribed when it comes back: the message
// of a failing handler that was replaced meanwhile is handled by the new
// one, not acknowledged unhandled.
func TestRetryOfAMessageWhoseFailingHandlerWasReplacedGoesToTheNewOne(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("ordering")
	bus := tb.bus(cfg)

	replaced := bustest.NewGate()
	first := bustest.Subscribe(t, ctx, bus, "PaymentSucceeded", func(context.Context, eventbus.Message) error {
		replaced.Pass()
		return errors.New("payment service unavailable")
	})
	m := bustest.NewMessage("PaymentSucceeded")
	if err := bus.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	select {
	case <-replaced.Running:
	case <-ctx.Done():
		t.Fatal("handler not called")
	}
	second := bustest.NewSeen()
	bustest.Subscribe(t, ctx, bus, "PaymentSucceeded", second.Handle)
	if err := first.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	replaced.Open()

	second.WaitDistinct(t, 1)
	if !second.Has(m.ID) {
		t.Errorf("the new handler got another message than %s", m.ID)
	}
	wantNoDeadLetters(t, ctx, cfg)
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
	bustest.Subscribe(t, ctx, bus, "OrderPaid", func(context.Context, eventbus.Message) error {
		if calls.Add(1) == 1 {
			return errors.New("not yet")
		}
		close(handled)
		return nil
	})
	bustest.PublishN(t, ctx, bus, "OrderPaid", 1)
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
