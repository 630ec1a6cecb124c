package rabbitmq_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// tracedBus starts a bus for the service svc of this test whose spans the
// returned recorder keeps.
func tracedBus(t *testing.T, svc string, configure func(*rabbitmq.Config)) (*rabbitmq.Bus, rabbitmq.Config, *sdktrace.TracerProvider, *tracetest.SpanRecorder, context.Context) {
	tb, ctx := newTestBroker(t)
	tp, rec := testkit.RecordSpans(t)
	cfg := tb.config(svc)
	cfg.TracerProvider = tp
	if configure != nil {
		configure(&cfg)
	}
	return tb.bus(cfg), cfg, tp, rec, ctx
}

func spansNamed(rec *tracetest.SpanRecorder, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func attr(s sdktrace.ReadOnlySpan, key string) attribute.Value {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// A publish under a span is its child, the delivery's process span the
// publish span's child, and the handler runs in the process span: one
// trace, with the attributes of the semantic conventions.
func TestAPublishAndItsDeliveryAreOneTrace(t *testing.T) {
	bus, cfg, tp, rec, ctx := tracedBus(t, "basket", nil)

	var inHandler trace.SpanContext
	handled := make(chan struct{})
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: "OrderStartedIntegrationEvent", Publisher: testPublisher, Handler: func(ctx context.Context, m eventbus.Message) error {
		inHandler = trace.SpanContextFromContext(ctx)
		close(handled)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	cause, span := tp.Tracer("test").Start(ctx, "PUT /api/test")
	m := bustest.NewMessage("OrderStartedIntegrationEvent")
	if err := bus.Publish(cause, m); err != nil {
		t.Fatal(err)
	}
	span.End()
	select {
	case <-handled:
	case <-ctx.Done():
		t.Fatal("not handled")
	}
	testkit.WaitFor(t, "the process span", func() bool { return len(spansNamed(rec, "process OrderStartedIntegrationEvent")) == 1 })

	pub := spansNamed(rec, "publish OrderStartedIntegrationEvent")
	proc := spansNamed(rec, "process OrderStartedIntegrationEvent")
	if len(pub) != 1 {
		t.Fatalf("%d publish spans, want 1", len(pub))
	}
	if pub[0].Parent().SpanID() != span.SpanContext().SpanID() || pub[0].SpanKind() != trace.SpanKindProducer {
		t.Errorf("publish span: parent %v kind %v, want the caller's span and producer", pub[0].Parent(), pub[0].SpanKind())
	}
	if proc[0].Parent().SpanID() != pub[0].SpanContext().SpanID() || proc[0].SpanKind() != trace.SpanKindConsumer {
		t.Errorf("process span: parent %v kind %v, want the publish span and consumer", proc[0].Parent(), proc[0].SpanKind())
	}
	if proc[0].SpanContext().TraceID() != span.SpanContext().TraceID() {
		t.Error("the process span is in another trace")
	}
	if inHandler.SpanID() != proc[0].SpanContext().SpanID() {
		t.Error("the handler's context does not carry the process span")
	}
	for _, s := range []sdktrace.ReadOnlySpan{pub[0], proc[0]} {
		for key, want := range map[string]string{
			"messaging.system":                           "rabbitmq",
			"messaging.destination.name":                 cfg.Exchange,
			"messaging.rabbitmq.destination.routing_key": "OrderStartedIntegrationEvent",
			"messaging.message.id":                       m.ID.String(),
		} {
			if got := attr(s, key).AsString(); got != want {
				t.Errorf("%s: %s = %q, want %q", s.Name(), key, got, want)
			}
		}
	}
	if a, o := attr(proc[0], "eshop.messaging.attempt").AsInt64(), attr(proc[0], "eshop.messaging.outcome").AsString(); a != 1 || o != "ack" {
		t.Errorf("process span: attempt %d outcome %q, want 1 and ack", a, o)
	}
}

// A message whose trace context is in its headers (the outbox's) is
// published in that trace, whatever span ctx has.
func TestAMessageCarryingATraceContextIsPublishedInThatTrace(t *testing.T) {
	bus, _, tp, rec, ctx := tracedBus(t, "ordering", nil)

	stored, cause := tp.Tracer("test").Start(context.Background(), "the transaction that stored it")
	cause.End()
	m := bustest.NewMessage("OrderPaidTestEvent")
	m.Headers = tracing.Headers(stored)
	relay, relaySpan := tp.Tracer("test").Start(ctx, "unrelated")
	if err := bus.PublishBatch(relay, []eventbus.Message{m}); err != nil {
		t.Fatal(err)
	}
	relaySpan.End()
	pub := spansNamed(rec, "publish OrderPaidTestEvent")
	if len(pub) != 1 || pub[0].Parent().SpanID() != cause.SpanContext().SpanID() || !pub[0].Parent().IsRemote() {
		t.Fatalf("publish spans %v, want one whose parent is the stored context %v", pub, cause.SpanContext())
	}
	if m.Headers[tracing.TraceparentHeader] != tracing.Headers(stored)[tracing.TraceparentHeader] {
		t.Error("publishing changed the caller's message headers")
	}
}

// A delivery that fails twice and then succeeds has three process spans,
// children of its one publish span, attempts 1, 2 and 3, the first two
// errors with a "retry" event; one that fails every attempt is marked
// dead_letter.
func TestRetriesAndDeadLettersShowOnTheProcessSpans(t *testing.T) {
	bus, cfg, _, rec, ctx := tracedBus(t, "payment", func(cfg *rabbitmq.Config) { cfg.MaxAttempts = 3 })

	var mu sync.Mutex
	done := map[string]bool{}
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: "FlakyTestEvent", Publisher: testPublisher, Handler: func(ctx context.Context, m eventbus.Message) error {
		if m.Attempt <= 2 {
			return errors.New("payment provider unavailable")
		}
		mu.Lock()
		done["flaky"] = true
		mu.Unlock()
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: "BrokenTestEvent", Publisher: testPublisher, Handler: func(ctx context.Context, m eventbus.Message) error {
		return errors.New("always broken")
	}}); err != nil {
		t.Fatal(err)
	}
	bustest.PublishN(t, ctx, bus, "FlakyTestEvent", 1)
	bustest.PublishN(t, ctx, bus, "BrokenTestEvent", 1)
	waitParked(t, ctx, cfg, 1)
	testkit.WaitFor(t, "three process spans of each", func() bool {
		return len(spansNamed(rec, "process FlakyTestEvent")) == 3 && len(spansNamed(rec, "process BrokenTestEvent")) == 3
	})

	flaky := spansNamed(rec, "process FlakyTestEvent")
	slices.SortFunc(flaky, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	publishSpan := spansNamed(rec, "publish FlakyTestEvent")[0].SpanContext()
	for i, s := range flaky {
		if s.Parent().SpanID() != publishSpan.SpanID() {
			t.Errorf("attempt %d: parent %v, want the publish span", i+1, s.Parent())
		}
		if got := attr(s, "eshop.messaging.attempt").AsInt64(); got != int64(i+1) {
			t.Errorf("span %d: attempt %d", i+1, got)
		}
		wantOutcome, wantStatus := "retry", codes.Error
		if i == 2 {
			wantOutcome, wantStatus = "ack", codes.Unset
		}
		if got := attr(s, "eshop.messaging.outcome").AsString(); got != wantOutcome || s.Status().Code != wantStatus {
			t.Errorf("attempt %d: outcome %q status %v, want %q %v", i+1, got, s.Status(), wantOutcome, wantStatus)
		}
		if i < 2 && !hasEvent(s, "retry") {
			t.Errorf("attempt %d: no retry event in %v", i+1, s.Events())
		}
	}
	broken := spansNamed(rec, "process BrokenTestEvent")
	slices.SortFunc(broken, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	last := broken[2]
	if attr(last, "eshop.messaging.outcome").AsString() != "dead_letter" || !hasEvent(last, "dead_letter") || last.Status().Code != codes.Error {
		t.Errorf("last attempt of a broken message: outcome %q events %v status %v, want dead_letter",
			attr(last, "eshop.messaging.outcome").AsString(), last.Events(), last.Status())
	}
}

func hasEvent(s sdktrace.ReadOnlySpan, name string) bool {
	for _, e := range s.Events() {
		if e.Name == name {
			return true
		}
	}
	return false
}
