package bustest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// cases are the conformance cases, in the order the README's table lists
// them.
var cases = []testCase{
	{"EachServiceGetsEveryEvent", always, eachServiceGetsEveryEvent},
	{"InstancesOfOneServiceShareItsEvents", func(f Features) bool { return f.CompetingConsumers }, instancesShareEvents},
	{"ManyEventNamesOnOneQueue", always, manyEventNamesOnOneQueue},
	{"TypedAndDynamicHandlers", always, typedAndDynamicHandlers},
	{"TraceAndCorrelationCarriedOn", always, traceAndCorrelationCarriedOn},
	{"SubscribeAndUnsubscribeAtRunTime", always, subscribeAndUnsubscribeAtRunTime},
	{"NoCallAfterUnsubscribeReturned", func(f Features) bool { return f.UnsubscribeWaits }, noCallAfterUnsubscribeReturned},
	{"PublishReturnsOnceStored", func(f Features) bool { return f.Durable }, publishReturnsOnceStored},
	{"EventsQueuedBeforeTheirHandlerSubscribesWaitForIt", func(f Features) bool { return f.Durable }, eventsQueuedWaitForTheirHandler},
	{"AMessageWithoutAHandlerWaitsThenIsParkedNeverAcked", func(f Features) bool { return f.Durable && f.ParkedWhy }, messageWithoutAHandlerIsParked},
	{"FailingHandlerIsParkedAfterItsAttempts", always, failingHandlerIsParked},
	{"InvalidEventIsParkedAtOnce", always, invalidEventIsParkedAtOnce},
	{"UndecodableEventIsParkedAtOnce", always, undecodableEventIsParkedAtOnce},
	{"FailedMessageWaitsWhileOthersFlowAndIsReplayed", func(f Features) bool { return f.Retries && f.ParkedWhy && f.Replay }, failedMessageIsReplayed},
	{"RetriesHoldNoHandlerSlot", func(f Features) bool { return f.Retries }, retriesHoldNoHandlerSlot},
	{"ForgedEventsAreParkedAsForged", func(f Features) bool { return f.Forgery }, forgedEventsAreParked},
	{"OnlyTheEventThatKillsTheServiceIsParkedAsACrashLoop", func(f Features) bool { return f.CrashLoopBound > 0 }, crashLoop},
	{"NoEventLostWhileConnectionsAreCutAndTheConsumerRestarts", func(f Features) bool { return f.Reconnects && f.Durable }, noEventLostAcrossCuts},
	{"GracefulCloseMidStreamLosesNothing", func(f Features) bool { return f.Durable }, gracefulCloseLosesNothing},
}

func eachServiceGetsEveryEvent(e *env) {
	publisher := e.bus("catalog", Options{})
	basket, ordering := NewSeen(), NewSeen()
	Subscribe(e.t, e.ctx, e.bus("basket", Options{}), "PriceChanged", basket.Handle)
	Subscribe(e.t, e.ctx, e.bus("ordering", Options{}), "PriceChanged", ordering.Handle)

	const n = 200
	PublishN(e.t, e.ctx, publisher, "PriceChanged", n)
	basket.WaitDistinct(e.t, n)
	ordering.WaitDistinct(e.t, n)
	if d := basket.Duplicates() + ordering.Duplicates(); d != 0 {
		e.t.Errorf("%d duplicate deliveries, want none", d)
	}
}

func instancesShareEvents(e *env) {
	publisher := e.bus("catalog", Options{})
	all := NewSeen()
	var mu sync.Mutex
	perInstance := map[int]int{}
	for instance := range 2 {
		Subscribe(e.t, e.ctx, e.bus("basket", Options{}), "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
			mu.Lock()
			perInstance[instance]++
			mu.Unlock()
			return all.Handle(ctx, m)
		})
	}

	const n = 400
	PublishN(e.t, e.ctx, publisher, "PriceChanged", n)
	all.WaitDistinct(e.t, n)
	if d := all.Duplicates(); d != 0 {
		e.t.Errorf("%d events handled twice, want each once", d)
	}
	mu.Lock()
	e.t.Logf("handled per instance: %v", perInstance)
	mu.Unlock()
}

// One service handles several event names on its one queue: each handler
// gets the events of its name, all of them, and no other.
func manyEventNamesOnOneQueue(e *env) {
	publisher := e.bus("catalog", Options{})
	bus := e.bus("ordering", Options{})
	names := []string{"OrderStarted", "OrderPaid", "OrderShipped"}
	handled := map[string]*Seen{}
	for _, name := range names {
		handled[name] = NewSeen()
		Subscribe(e.t, e.ctx, bus, name, func(ctx context.Context, m eventbus.Message) error {
			if m.Name != name {
				e.t.Errorf("the %s handler got a %s", name, m.Name)
			}
			return handled[name].Handle(ctx, m)
		})
	}
	const each = 50
	for range each {
		for _, name := range names {
			PublishN(e.t, e.ctx, publisher, name, 1)
		}
	}
	for _, name := range names {
		handled[name].WaitDistinct(e.t, each)
		if d := handled[name].Duplicates(); d != 0 {
			e.t.Errorf("%s: %d handled twice", name, d)
		}
	}
	e.wantNoDeadLetters("ordering")
}

// orderStarted is a typed event as a consuming service declares it.
type orderStarted struct {
	eventbus.IntegrationEvent
	UserID string `json:"UserId"`
}

func (orderStarted) EventName() string { return "OrderStartedIntegrationEvent" }

func (orderStarted) Publisher() string { return Publisher }

// A typed handler (eventbus.Subscribe) and a dynamic one of the same event
// each get it: the one the struct, the other the message as it was sent.
func typedAndDynamicHandlers(e *env) {
	bus := e.bus("basket", Options{})
	typed := make(chan orderStarted, 1)
	typedCorrelation := make(chan string, 1)
	if _, err := eventbus.Subscribe(e.ctx, bus, func(ctx context.Context, got orderStarted) error {
		typedCorrelation <- eventbus.CorrelationID(ctx)
		typed <- got
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	dynamic := make(chan eventbus.Message, 1)
	Subscribe(e.t, e.ctx, bus, orderStarted{}.EventName(), func(_ context.Context, m eventbus.Message) error {
		dynamic <- m
		return nil
	})

	sent := orderStarted{IntegrationEvent: eventbus.NewIntegrationEvent(), UserID: "alice"}
	msg, err := eventbus.Encode(sent)
	if err != nil {
		e.t.Fatal(err)
	}
	msg.CorrelationID = "req-42"
	msg.Headers = map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	if err := bus.Publish(e.ctx, msg); err != nil {
		e.t.Fatal(err)
	}

	select {
	case got := <-typed:
		if got.ID != sent.ID || got.UserID != "alice" || !got.CreationDate.Equal(sent.CreationDate) {
			e.t.Errorf("typed handler got %+v, want %+v", got, sent)
		}
		if c := <-typedCorrelation; c != "req-42" {
			e.t.Errorf("correlation id in handler ctx = %q, want req-42", c)
		}
	case <-e.ctx.Done():
		e.t.Fatal("typed handler not called")
	}
	select {
	case got := <-dynamic:
		var body map[string]any
		if err := json.Unmarshal(got.Body, &body); err != nil || body["UserId"] != "alice" || body["Id"] != sent.ID.String() {
			e.t.Errorf("dynamic handler got body %s (%v)", got.Body, err)
		}
		// The wire may keep the time to the second only (AMQP's timestamp).
		if got.ID != sent.ID || got.Name != sent.EventName() ||
			got.CorrelationID != "req-42" || got.Attempt != 1 ||
			got.Headers["traceparent"] != msg.Headers["traceparent"] ||
			got.Time.Unix() != sent.CreationDate.Unix() {
			e.t.Errorf("dynamic handler got %+v", got)
		}
	case <-e.ctx.Done():
		e.t.Fatal("dynamic handler not called")
	}
}

// An event published under a request's correlation id and trace reaches
// its handler with both, and the event the handler publishes in its turn
// carries them on to the next service.
func traceAndCorrelationCarriedOn(e *env) {
	catalog, basket := e.bus("catalog", Options{}), e.bus("basket", Options{})
	type arrival struct {
		correlation string
		trace       trace.TraceID
	}
	arrived := make(chan arrival, 2)
	note := func(ctx context.Context, m eventbus.Message) {
		arrived <- arrival{eventbus.CorrelationID(ctx), traceOf(ctx, m)}
	}
	Subscribe(e.t, e.ctx, basket, testkit.PriceChanged{}.EventName(), func(ctx context.Context, m eventbus.Message) error {
		note(ctx, m)
		return eventbus.Publish(ctx, basket, orderStarted{IntegrationEvent: eventbus.NewIntegrationEvent(), UserID: "alice"})
	})
	Subscribe(e.t, e.ctx, e.bus("ordering", Options{}), orderStarted{}.EventName(), func(ctx context.Context, m eventbus.Message) error {
		note(ctx, m)
		return nil
	})

	cause := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c},
		SpanID:     trace.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31},
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
	ctx := eventbus.WithCorrelationID(trace.ContextWithSpanContext(e.ctx, cause), "req-7")
	if err := eventbus.Publish(ctx, catalog, testkit.PriceChanged{IntegrationEvent: eventbus.NewIntegrationEvent(), ProductID: 7}); err != nil {
		e.t.Fatal(err)
	}
	for _, service := range []string{"basket", "ordering"} {
		select {
		case a := <-arrived:
			if a.correlation != "req-7" || a.trace != cause.TraceID() {
				e.t.Errorf("%s's handler: correlation %q, trace %s; want req-7 and %s", service, a.correlation, a.trace, cause.TraceID())
			}
		case <-e.ctx.Done():
			e.t.Fatalf("%s's handler not called", service)
		}
	}
}

// traceOf is the trace a handler can continue: its context's, or else the
// one its message's headers carry.
func traceOf(ctx context.Context, m eventbus.Message) trace.TraceID {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc.TraceID()
	}
	carried := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier(m.Headers))
	return trace.SpanContextFromContext(carried).TraceID()
}

func subscribeAndUnsubscribeAtRunTime(e *env) {
	bus := e.bus("basket", Options{})
	first, second := NewSeen(), NewSeen()
	subFirst := Subscribe(e.t, e.ctx, bus, "PriceChanged", first.Handle)
	subSecond := Subscribe(e.t, e.ctx, bus, "PriceChanged", second.Handle)

	m1 := NewMessage("PriceChanged")
	if err := bus.Publish(e.ctx, m1); err != nil {
		e.t.Fatal(err)
	}
	first.WaitDistinct(e.t, 1)
	second.WaitDistinct(e.t, 1)

	// One of two handlers goes: the other still gets the event.
	if err := subFirst.Unsubscribe(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	m2 := NewMessage("PriceChanged")
	if err := bus.Publish(e.ctx, m2); err != nil {
		e.t.Fatal(err)
	}
	second.WaitDistinct(e.t, 2)
	if first.Has(m2.ID) {
		e.t.Error("unsubscribed handler got an event")
	}

	// The last handler goes, twice; subscribing again brings the events
	// back to the new handler only.
	if err := subSecond.Unsubscribe(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	if err := subSecond.Unsubscribe(e.ctx); err != nil {
		e.t.Fatalf("second Unsubscribe: %v", err)
	}
	third := NewSeen()
	Subscribe(e.t, e.ctx, bus, "PriceChanged", third.Handle)
	PublishN(e.t, e.ctx, bus, "PriceChanged", 1)
	third.WaitDistinct(e.t, 1)
	if second.Distinct() != 2 || first.Distinct() != 1 {
		e.t.Errorf("unsubscribed handlers got %d and %d events, want 1 and 2", first.Distinct(), second.Distinct())
	}
}

// Unsubscribe returns only once no call of its handler runs or will start:
// here the second handler of an event is due to get a message whose first
// handler is still running when the second is unsubscribed.
func noCallAfterUnsubscribeReturned(e *env) {
	bus := e.bus("basket", Options{})
	unsubscribed := NewGate()
	first := NewSeen()
	Subscribe(e.t, e.ctx, bus, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
		unsubscribed.Pass()
		return first.Handle(ctx, m)
	})
	var late LateCalls
	second := Subscribe(e.t, e.ctx, bus, "PriceChanged", func(context.Context, eventbus.Message) error {
		late.Call()
		return nil
	})

	PublishN(e.t, e.ctx, bus, "PriceChanged", 1)
	<-unsubscribed.Running
	late.Unsubscribe(e.t, e.ctx, second)
	unsubscribed.Open()
	// The next message starts once the first one is done with.
	PublishN(e.t, e.ctx, bus, "PriceChanged", 1)
	first.WaitDistinct(e.t, 2)
	late.WantNone(e.t)
}

// Publish returns once the event is stored: what was published while no
// bus of the consuming service ran is all there when one starts.
func publishReturnsOnceStored(e *env) {
	e.declare("basket", Options{}, "PriceChanged")
	publisher := e.bus("catalog", Options{})
	var ids []uuid.UUID
	for range 100 {
		m := NewMessage("PriceChanged")
		if err := publisher.Publish(e.ctx, m); err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if err := publisher.Close(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	handled := NewSeen()
	Subscribe(e.t, e.ctx, e.bus("basket", Options{}), "PriceChanged", handled.Handle)
	handled.WaitAll(e.t, ids)
	if d := handled.Duplicates(); d != 0 {
		e.t.Errorf("%d handled twice, want none", d)
	}
}

func eventsQueuedWaitForTheirHandler(e *env) {
	// An earlier run of the service bound both events and went away; its
	// queue collected events of both names meanwhile.
	e.declare("ordering", Options{}, "OrderStarted", "OrderPaid")
	publisher := e.bus("catalog", Options{})
	for range 20 {
		for _, name := range []string{"OrderStarted", "OrderPaid"} {
			PublishN(e.t, e.ctx, publisher, name, 1)
		}
	}

	// The new run subscribes its handlers one after the other: deliveries
	// of the second name start before its handler is there.
	started, paid := NewSeen(), NewSeen()
	bus := e.bus("ordering", Options{})
	Subscribe(e.t, e.ctx, bus, "OrderStarted", started.Handle)
	started.WaitDistinct(e.t, 20)
	Subscribe(e.t, e.ctx, bus, "OrderPaid", paid.Handle)
	paid.WaitDistinct(e.t, 20)
	e.wantNoDeadLetters("ordering")
}

// A message whose event name has no handler, because an earlier run of the
// service bound the name and this one has no handler for it, waits
// UnhandledGrace for one and is then parked with its reason. While it
// waits it holds no handler slot, so the others flow; it is never
// acknowledged unhandled, so a close hands it back: the next run parks
// every one of them, once, and handles none of the others again.
func messageWithoutAHandlerIsParked(e *env) {
	e.declare("ordering", Options{}, "OrderStarted", "OrderPaid")
	publisher := e.bus("catalog", Options{})
	const handled, orphans = 20, 10
	var orphanIDs []uuid.UUID
	for i := range handled {
		if i < orphans {
			m := NewMessage("OrderPaid")
			orphanIDs = append(orphanIDs, m.ID)
			if err := publisher.Publish(e.ctx, m); err != nil {
				e.t.Fatal(err)
			}
		}
		PublishN(e.t, e.ctx, publisher, "OrderStarted", 1)
	}

	// This run has a handler for OrderStarted only. With a grace longer
	// than the test, the OrderPaid messages wait all along: the one handler
	// slot still handles every OrderStarted.
	started := NewSeen()
	onlyStarted := func(ctx context.Context, m eventbus.Message) error {
		if m.Name != "OrderStarted" {
			e.t.Errorf("the OrderStarted handler got a %s", m.Name)
		}
		return started.Handle(ctx, m)
	}
	bus := e.bus("ordering", Options{Concurrency: 1, UnhandledGrace: 2 * testkit.Patience})
	Subscribe(e.t, e.ctx, bus, "OrderStarted", onlyStarted)
	started.WaitDistinct(e.t, handled)
	if parked := e.b.DeadLetters(e.t, e.ctx, "ordering"); len(parked) != 0 {
		e.t.Fatalf("dead letters while the grace runs: %d; want none", len(parked))
	}
	if err := bus.Close(e.ctx); err != nil {
		e.t.Fatal(err)
	}

	// A run with a short grace parks them, each once, with the reason.
	Subscribe(e.t, e.ctx, e.bus("ordering", Options{Concurrency: 1, UnhandledGrace: 50 * time.Millisecond}), "OrderStarted", onlyStarted)
	parked := e.waitParked("ordering", orphans)
	var got []uuid.UUID
	for _, m := range parked {
		got = append(got, m.ID)
		if m.Name != "OrderPaid" || m.Reason != ReasonNoHandler || m.LastError != "no handler for OrderPaid" {
			e.t.Errorf("parked %s %s for %s %q, want OrderPaid for no-handler \"no handler for OrderPaid\"",
				m.Name, m.ID, m.Reason, m.LastError)
		}
	}
	slices.SortFunc(got, uuidOrder)
	slices.SortFunc(orphanIDs, uuidOrder)
	if !slices.Equal(got, orphanIDs) {
		e.t.Errorf("parked %v, want each OrderPaid once: %v", got, orphanIDs)
	}
	if n, d := started.Distinct(), started.Duplicates(); n != handled || d != 0 {
		e.t.Errorf("OrderStarted handled %d times (%d twice), want each of %d once", n+d, d, handled)
	}
}

func uuidOrder(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }

// cannotTake runs the case of a message its handler cannot take: fail is
// the handler's failure for it; the message is parked with the reason
// after attempts calls, and the others flow on.
func cannotTake(e *env, fail func() error, reason string, attempts int, lastError string) {
	const maxAttempts = 3
	bus := e.bus("catalog", Options{MaxAttempts: maxAttempts})
	bad := NewMessage("OrderPaid")
	var calls atomic.Int32
	others := NewSeen()
	Subscribe(e.t, e.ctx, bus, "OrderPaid", func(ctx context.Context, m eventbus.Message) error {
		if m.ID == bad.ID {
			calls.Add(1)
			return fail()
		}
		return others.Handle(ctx, m)
	})
	if err := bus.Publish(e.ctx, bad); err != nil {
		e.t.Fatal(err)
	}
	const n = 20
	PublishN(e.t, e.ctx, bus, "OrderPaid", n)
	others.WaitDistinct(e.t, n)
	parked := e.waitParked("catalog", 1)
	if len(parked) != 1 || parked[0].ID != bad.ID {
		e.t.Fatalf("parked %+v, want the message", parked)
	}
	if attempts == 0 {
		attempts = maxAttempts
	}
	if got := calls.Load(); got != int32(attempts) {
		e.t.Errorf("handler called %d times for the message, want %d", got, attempts)
	}
	if !e.tr.Features.ParkedWhy {
		return
	}
	if p := parked[0]; p.Reason != reason || p.Attempts != attempts || !strings.Contains(p.LastError, lastError) || p.ParkedAt.IsZero() {
		e.t.Errorf("parked with reason %q after %d attempts at %v, last error %q; want %s after %d, a time, %q",
			p.Reason, p.Attempts, p.ParkedAt, p.LastError, reason, attempts, lastError)
	}
}

// A handler that fails on a message every time has it parked after
// MaxAttempts, with the last error (a panic, where the transport promises
// retries); the others flow on.
func failingHandlerIsParked(e *env) {
	fail := func() error { return errors.New("index out of range") }
	if e.tr.Features.Retries {
		fail = func() error { panic("index out of range") }
	}
	cannotTake(e, fail, ReasonFailed, 0, "index out of range")
}

// An event its handler finds invalid is parked at once, without retries.
func invalidEventIsParkedAtOnce(e *env) {
	cannotTake(e, func() error { return fmt.Errorf("%w: price -1 is not an amount", eventbus.ErrInvalidEvent) },
		ReasonInvalid, 1, "price -1 is not an amount")
}

// A body the typed handler's event cannot be decoded from (here without
// an Id) is an invalid event: parked at once, the handler not run.
func undecodableEventIsParkedAtOnce(e *env) {
	bus := e.bus("basket", Options{MaxAttempts: 3})
	var calls atomic.Int32
	if _, err := eventbus.Subscribe(e.ctx, bus, func(context.Context, orderStarted) error {
		calls.Add(1)
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	m := NewMessage(orderStarted{}.EventName())
	m.Body = []byte(`{"UserId":"alice"}`)
	if err := bus.Publish(e.ctx, m); err != nil {
		e.t.Fatal(err)
	}
	parked := e.waitParked("basket", 1)
	if len(parked) != 1 || parked[0].ID != m.ID {
		e.t.Fatalf("parked %+v, want the message", parked)
	}
	if e.tr.Features.ParkedWhy && (parked[0].Reason != ReasonInvalid || parked[0].Attempts != 1 || !strings.Contains(parked[0].LastError, "has no Id")) {
		e.t.Errorf("parked as %q after %d attempts: %q; want invalid after 1, no Id", parked[0].Reason, parked[0].Attempts, parked[0].LastError)
	}
	if n := calls.Load(); n != 0 {
		e.t.Errorf("the handler ran %d times, want 0", n)
	}
}

func failedMessageIsReplayed(e *env) {
	// A small window: the events handled while the failing one waits
	// between attempts must be acknowledged (alone, not in a batch behind
	// it), or the server stops sending after four.
	bus := e.bus("ordering", Options{MaxAttempts: 3, Prefetch: 4, Concurrency: 2})

	const good = 100
	flowing := NewSeen()
	Subscribe(e.t, e.ctx, bus, "StockConfirmed", flowing.Handle)
	othersDone := make(chan struct{})
	var healthy atomic.Bool
	var mu sync.Mutex
	var attempts []int
	handled := make(chan eventbus.Message, 1)
	Subscribe(e.t, e.ctx, bus, "PaymentSucceeded", func(ctx context.Context, m eventbus.Message) error {
		if healthy.Load() {
			handled <- m
			return nil
		}
		mu.Lock()
		attempts = append(attempts, m.Attempt)
		mu.Unlock()
		if m.Attempt == 2 {
			// While this message is being retried, the others go on: the
			// second attempt fails only once all of them were handled.
			select {
			case <-othersDone:
			case <-ctx.Done():
			}
		}
		if m.Attempt == 3 {
			panic("a panicking handler is a failing handler")
		}
		return errors.New("payment service unavailable")
	})

	poison := NewMessage("PaymentSucceeded")
	poison.CorrelationID = "req-7"
	if err := bus.Publish(e.ctx, poison); err != nil {
		e.t.Fatal(err)
	}
	PublishN(e.t, e.ctx, bus, "StockConfirmed", good)
	flowing.WaitDistinct(e.t, good)
	close(othersDone)

	parked := e.waitParked("ordering", 1)
	if len(parked) != 1 || parked[0].ID != poison.ID || parked[0].Name != poison.Name || parked[0].CorrelationID != "req-7" {
		e.t.Fatalf("dead letters = %+v, want the one poison message", parked)
	}
	// It records why, after how many attempts, and when.
	if p := parked[0]; p.Reason != ReasonFailed || p.Attempts != 3 ||
		!strings.Contains(p.LastError, "a panicking handler is a failing handler") || p.ParkedAt.IsZero() {
		e.t.Errorf("parked with reason %q, %d attempts, last error %q, at %v; want failed, 3, the panic, a time",
			p.Reason, p.Attempts, p.LastError, p.ParkedAt)
	}
	mu.Lock()
	if !slices.Equal(attempts, []int{1, 2, 3}) {
		e.t.Errorf("attempts = %v, want [1 2 3]", attempts)
	}
	mu.Unlock()
	// Listing leaves the message where it is.
	if again := e.b.DeadLetters(e.t, e.ctx, "ordering"); len(again) != 1 {
		e.t.Fatalf("second listing = %d messages; want the same one", len(again))
	}

	healthy.Store(true)
	if n := as[Replayer](e).Replay(e.t, e.ctx, "ordering"); n != 1 {
		e.t.Fatalf("replayed %d, want 1", n)
	}
	select {
	case m := <-handled:
		if m.ID != poison.ID || m.Attempt != 1 || m.CorrelationID != "req-7" {
			e.t.Errorf("replayed message handled as %+v, want id %s, attempt 1, correlation req-7", m, poison.ID)
		}
		for _, h := range e.tr.Features.ReplayDropsHeaders {
			if v, ok := m.Headers[h]; ok {
				e.t.Errorf("replayed message carries %s: %q; want it started afresh", h, v)
			}
		}
	case <-e.ctx.Done():
		e.t.Fatal("replayed message not handled")
	}
	e.wantNoDeadLetters("ordering")
}

// A message waiting for its retry holds no handler slot: among 1,000
// healthy messages, 100 that fail twice each wait in the server, and every
// healthy one is handled before the first retry comes back.
func retriesHoldNoHandlerSlot(e *env) {
	// A backoff long enough for the healthy messages to be handled many
	// times over before the first retry, were they not held up; the case
	// asserts the order of events, not a time.
	bus := e.bus("ordering", Options{Concurrency: 4, RetryBackoff: 4 * time.Second})

	const healthy, failing = 1000, 100
	var mu sync.Mutex
	var order []string // "healthy" when one is handled, "retry" when a retry starts
	attempts := map[uuid.UUID][]int{}
	start := time.Now()
	var lastHealthy time.Duration
	healthyDone := NewSeen()
	Subscribe(e.t, e.ctx, bus, "StockConfirmed", func(ctx context.Context, m eventbus.Message) error {
		mu.Lock()
		order = append(order, "healthy")
		lastHealthy = time.Since(start)
		mu.Unlock()
		return healthyDone.Handle(ctx, m)
	})
	failingDone := NewSeen()
	Subscribe(e.t, e.ctx, bus, "PaymentSucceeded", func(ctx context.Context, m eventbus.Message) error {
		mu.Lock()
		attempts[m.ID] = append(attempts[m.ID], m.Attempt)
		if m.Attempt > 1 {
			order = append(order, "retry")
		}
		mu.Unlock()
		if m.Attempt <= 2 {
			return errors.New("payment service unavailable")
		}
		return failingDone.Handle(ctx, m)
	})

	// One failing message in every eleven, all published at once.
	var msgs []eventbus.Message
	for i := range healthy + failing {
		if i%11 == 0 {
			msgs = append(msgs, NewMessage("PaymentSucceeded"))
		} else {
			msgs = append(msgs, NewMessage("StockConfirmed"))
		}
	}
	mu.Lock()
	start = time.Now()
	mu.Unlock()
	publishAll(e, bus, msgs)
	healthyDone.WaitDistinct(e.t, healthy)
	failingDone.WaitDistinct(e.t, failing)

	mu.Lock()
	defer mu.Unlock()
	e.t.Logf("the healthy messages were handled %v after publishing began", lastHealthy)
	firstRetry := len(order)
	for i, what := range order {
		if what == "retry" {
			firstRetry = i
			break
		}
	}
	if held := healthy - min(firstRetry, healthy); held > 0 {
		e.t.Errorf("%d healthy messages were handled only after the first retry", held)
	}
	for id, got := range attempts {
		if !slices.Equal(got, []int{1, 2, 3}) {
			e.t.Errorf("message %s: attempts %v, want [1 2 3]", id, got)
		}
	}
	if d := healthyDone.Duplicates() + failingDone.Duplicates(); d != 0 {
		e.t.Errorf("%d messages handled twice", d)
	}
	e.wantNoDeadLetters("ordering")
}

// publishAll publishes msgs at once: in one batch where the bus publishes
// batches (outbox.BatchPublisher), else from many goroutines.
func publishAll(e *env, bus eventbus.Bus, msgs []eventbus.Message) {
	e.t.Helper()
	if b, ok := bus.(interface {
		PublishBatch(context.Context, []eventbus.Message) error
	}); ok {
		if err := b.PublishBatch(e.ctx, msgs); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	if err := testkit.Parallel(len(msgs), 16, func(i int) error { return bus.Publish(e.ctx, msgs[i]) }); err != nil {
		e.t.Fatal(err)
	}
}

// An event is only what its publisher may send: a message routed as one
// event but claiming to be another (the consumer dispatches on the name
// the server routed, which it authorised, never on the one the publisher
// wrote), and one whose publisher is not the event's, are parked as
// forged, no handler run.
func forgedEventsAreParked(e *env) {
	e.t.Run("routed as another event", func(t *testing.T) {
		e := newEnv(t, e.tr)
		calls := e.counting("ordering", Publisher, "UserCheckoutAccepted", "OrderStockConfirmed")
		forged := NewMessage("OrderStockConfirmed")
		as[Forger](e).Forge(e.t, e.ctx, "UserCheckoutAccepted", forged)
		e.wantForged("ordering", forged.ID, calls)
	})
	e.t.Run("from another publisher", func(t *testing.T) {
		e := newEnv(t, e.tr)
		// The consumer's route says catalog publishes OrderPaid; the
		// suite's buses publish as Publisher.
		calls := e.counting("basket", "catalog", "OrderPaid")
		m := NewMessage("OrderPaid")
		if err := e.bus(Publisher, Options{}).Publish(e.ctx, m); err != nil {
			e.t.Fatal(err)
		}
		e.wantForged("basket", m.ID, calls)
	})
}

// counting starts a bus of svc whose handlers of the event names, each
// published by publisher, count their calls.
func (e *env) counting(svc, publisher string, names ...string) *atomic.Int32 {
	e.t.Helper()
	bus := e.bus(svc, Options{})
	calls := new(atomic.Int32)
	for _, name := range names {
		if _, err := bus.Subscribe(e.ctx, eventbus.Route{EventName: name, Publisher: publisher, Handler: func(context.Context, eventbus.Message) error {
			calls.Add(1)
			return nil
		}}); err != nil {
			e.t.Fatal(err)
		}
	}
	return calls
}

// wantForged fails the test unless svc parked just the message id, as
// forged, and no handler counted a call.
func (e *env) wantForged(svc string, id uuid.UUID, calls *atomic.Int32) {
	e.t.Helper()
	parked := e.waitParked(svc, 1)
	if p := parked[0]; len(parked) != 1 || p.ID != id || p.Reason != ReasonForged || p.Attempts != 0 {
		e.t.Fatalf("parked %+v, want %s alone, reason forged, no attempts", parked, id)
	}
	if n := calls.Load(); n != 0 {
		e.t.Errorf("the handlers ran %d times, want 0", n)
	}
}

// as returns the broker as the hook T, which the transport's features
// promise.
func as[T any](e *env) T {
	e.t.Helper()
	h, ok := e.b.(T)
	if !ok {
		var zero T
		e.t.Fatalf("the transport's features promise what needs its Broker to be a %T", &zero)
	}
	return h
}

func noEventLostAcrossCuts(e *env) {
	publisher := e.bus("catalog", Options{})
	handled := NewSeen()
	startConsumer := func() eventbus.Bus {
		b := e.bus("basket", Options{})
		Subscribe(e.t, e.ctx, b, "PriceChanged", handled.Handle)
		return b
	}
	consumer := startConsumer()

	// 32 publishers, and the last tenth held back until the disturbances
	// are over.
	total := e.tr.Features.StreamEvents
	disturbed := make(chan struct{})
	s := &stream{n: total, goroutines: 32, pause: 30 * time.Millisecond, holdFrom: 9 * total / 10, hold: disturbed}
	ids, publishErr := s.start(e.ctx, publisher, "PriceChanged")

	// The server closes this test's connections (publishing and consuming)
	// three times while the events flow, and the consumer is closed and
	// started again in between.
	closed := 0
	for _, at := range []int64{int64(total / 10), int64(3 * total / 10), int64(6 * total / 10)} {
		testkit.WaitFor(e.t, "publishing progress", func() bool { return s.published.Load() >= at })
		from := s.published.Load()
		n := as[Disrupter](e).CutConnections(e.t)
		e.t.Logf("the server closed %d connections while events %d to %d were published", n, from, s.published.Load())
		closed += n
		if at == int64(3*total/10) {
			testkit.WaitFor(e.t, "consuming progress", func() bool { return handled.Distinct() >= total/5 })
			if err := consumer.Close(e.ctx); err != nil {
				e.t.Errorf("consumer Close: %v", err)
			}
			e.t.Logf("consumer restarted after %d handled", handled.Distinct())
			consumer = startConsumer()
		}
	}
	close(disturbed)
	if closed < 3 {
		e.t.Errorf("the server closed %d connections in all, want at least one each time", closed)
	}

	if err := <-publishErr; err != nil {
		e.t.Fatalf("Publish: %v", err)
	}
	handled.WaitAll(e.t, ids)
	if err := consumer.Close(e.ctx); err != nil {
		e.t.Errorf("consumer Close: %v", err)
	}
	e.wantNoDeadLetters("basket")
}

func gracefulCloseLosesNothing(e *env) {
	publisher := e.bus("catalog", Options{})
	consumerOpts := Options{Concurrency: 8}

	// The 300th handler call is still running when Close begins.
	const total, slowOne = 3000, 300
	var calls atomic.Int64
	closing := make(chan struct{})
	slowStarted := make(chan struct{})
	var slowFinished atomic.Bool
	before, after := NewSeen(), NewSeen()
	first := e.bus("basket", consumerOpts)
	Subscribe(e.t, e.ctx, first, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
		if calls.Add(1) == slowOne {
			close(slowStarted)
			<-closing
			time.Sleep(50 * time.Millisecond)
			slowFinished.Store(true)
		}
		before.Add(m.ID)
		return nil
	})

	s := &stream{n: total, goroutines: 8}
	ids, publishErr := s.start(e.ctx, publisher, "PriceChanged")
	select {
	case <-slowStarted:
	case <-e.ctx.Done():
		e.t.Fatal("handlers did not run")
	}
	close(closing)
	if err := first.Close(e.ctx); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	if !slowFinished.Load() {
		e.t.Fatal("Close returned before the running handler finished")
	}
	e.t.Logf("closed after %d handled, %d published", before.Distinct(), s.published.Load())

	second := e.bus("basket", consumerOpts)
	Subscribe(e.t, e.ctx, second, "PriceChanged", after.Handle)
	if err := <-publishErr; err != nil {
		e.t.Fatalf("Publish: %v", err)
	}
	testkit.WaitFor(e.t, "every event handled", func() bool { return before.Distinct()+after.Distinct() >= total })
	for _, id := range ids {
		if before.Has(id) && after.Has(id) {
			e.t.Errorf("event %s handled before Close and again after: its ack was lost", id)
		}
		if !before.Has(id) && !after.Has(id) {
			e.t.Errorf("event %s never handled", id)
		}
	}
	if d := before.Duplicates() + after.Duplicates(); d != 0 {
		e.t.Errorf("%d duplicate deliveries, want none", d)
	}
}
