package outbox_test

import (
	"context"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestTheRelayPublishesAnEventWithTheTraceContextOfTheTransactionThatStoredIt(t *testing.T) {
	pool := testkit.NewPool(t, orders)
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "PUT /orders/{id}")
	state, err := trace.ParseTraceState("eshop=t61rcWkgMzE")
	if err != nil {
		t.Fatal(err)
	}
	cause := span.SpanContext().WithTraceState(state)
	ctx = trace.ContextWithSpanContext(ctx, cause)
	traced, err := placeOrder(ctx, pool, 1)
	if err != nil {
		t.Fatal(err)
	}
	span.End()
	// As an event stored before the table had the columns: no trace context.
	untraced, err := placeOrder(context.Background(), pool, 2)
	if err != nil {
		t.Fatal(err)
	}

	pub := &recorder{}
	startRelay(t, pool, pub, outbox.RelayConfig{})
	testkit.WaitFor(t, "two events", func() bool { return pub.count() == 2 })
	got := pub.published()

	if got[0].ID != traced.ID || got[1].ID != untraced.ID {
		t.Fatalf("published %v, want %v then %v", ids(got), traced.ID, untraced.ID)
	}
	sc := tracing.SpanContext(got[0].Headers)
	if !sc.IsValid() || sc.TraceID() != cause.TraceID() || sc.SpanID() != cause.SpanID() || !sc.IsSampled() {
		t.Errorf("the event's trace context is %v (headers %v), want the storing span's %v", sc, got[0].Headers, cause)
	}
	if got := got[0].Headers[tracing.TracestateHeader]; got != "eshop=t61rcWkgMzE" {
		t.Errorf("tracestate %q, want the stored one", got)
	}
	if len(got[1].Headers) != 0 {
		t.Errorf("an event stored without a trace context got headers %v", got[1].Headers)
	}
}

func TestTraceContextIsStoredInItsColumnsNotWithTheOtherHeaders(t *testing.T) {
	pool := testkit.NewPool(t, orders)
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "test")
	defer span.End()
	if _, err := placeOrder(ctx, pool, 1); err != nil {
		t.Fatal(err)
	}
	var traceparent *string
	var headers map[string]string
	if err := pool.QueryRow(ctx, "SELECT traceparent, headers FROM integration_event_log").Scan(&traceparent, &headers); err != nil {
		t.Fatal(err)
	}
	if traceparent == nil || *traceparent != tracing.Headers(ctx)[tracing.TraceparentHeader] {
		t.Errorf("traceparent column %v, want %q", traceparent, tracing.Headers(ctx)[tracing.TraceparentHeader])
	}
	if headers != nil {
		t.Errorf("headers column %v, want NULL: the trace context has its own columns", headers)
	}
}
