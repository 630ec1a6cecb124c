package tracing_test

import (
	"context"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
	"go.opentelemetry.io/otel/trace"
)

func TestHeadersCarryTheSpanContextAcrossAndBack(t *testing.T) {
	tp, _ := testkit.RecordSpans(t)
	ctx, span := tp.Tracer("test").Start(context.Background(), "cause")
	defer span.End()

	h := tracing.Headers(ctx)
	if len(h[tracing.TraceparentHeader]) != 55 {
		t.Fatalf("traceparent %q is not a W3C one", h[tracing.TraceparentHeader])
	}
	got := trace.SpanContextFromContext(tracing.Extract(context.Background(), h))
	if got.TraceID() != span.SpanContext().TraceID() || got.SpanID() != span.SpanContext().SpanID() || !got.IsRemote() {
		t.Errorf("extracted %v, want the remote %v", got, span.SpanContext())
	}
	if sc := tracing.SpanContext(h); !sc.Equal(got) {
		t.Errorf("SpanContext %v, want %v", sc, got)
	}
}

func TestNoSpanNoHeaders(t *testing.T) {
	if h := tracing.Headers(context.Background()); h != nil {
		t.Errorf("headers %v without a span", h)
	}
	kept := map[string]string{"x": "y"}
	if h := tracing.WithHeaders(context.Background(), kept); len(h) != 1 || h["x"] != "y" {
		t.Errorf("WithHeaders without a span changed the headers to %v", h)
	}
	ctx := context.Background()
	if tracing.Extract(ctx, map[string]string{"traceparent": "garbage"}) == nil ||
		trace.SpanContextFromContext(tracing.Extract(ctx, map[string]string{"traceparent": "garbage"})).IsValid() {
		t.Error("a malformed traceparent gave a valid span context")
	}
}

func TestWithHeadersReplacesAnOlderTraceContextAndKeepsTheRest(t *testing.T) {
	tp, _ := testkit.RecordSpans(t)
	ctx, span := tp.Tracer("test").Start(context.Background(), "now")
	defer span.End()
	old := map[string]string{
		"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"tracestate":  "old=1",
		"x-other":     "kept",
	}
	h := tracing.WithHeaders(ctx, old)
	if h["x-other"] != "kept" || h["tracestate"] != "" || tracing.SpanContext(h).SpanID() != span.SpanContext().SpanID() {
		t.Errorf("headers %v: want the current span's context, no old tracestate, x-other kept", h)
	}
	if old["tracestate"] != "old=1" || tracing.SpanContext(old).SpanID() == span.SpanContext().SpanID() {
		t.Errorf("WithHeaders changed the headers it was given: %v", old)
	}
}

func TestNewTraceStartsANewRootLinkedToItsCause(t *testing.T) {
	tp, rec := testkit.RecordSpans(t)
	tracer := tp.Tracer("test")
	cctx, cause := tracer.Start(context.Background(), "checkout")
	cause.End()
	stored := tracing.Headers(cctx)

	// The timer's context may carry a span of its own: it is not the parent.
	busy, outer := tracer.Start(context.Background(), "poll")
	defer outer.End()
	_, span := tracing.NewTrace(busy, tracer, "grace period over", stored)
	span.End()
	_, unlinked := tracing.NewTrace(context.Background(), tracer, "no cause", nil)
	unlinked.End()

	spans := rec.Ended()
	got := spans[1]
	if got.Name() != "grace period over" || got.Parent().IsValid() {
		t.Fatalf("span %q has parent %v, want a root", got.Name(), got.Parent())
	}
	if got.SpanContext().TraceID() == cause.SpanContext().TraceID() {
		t.Error("the new trace has the cause's trace id")
	}
	if len(got.Links()) != 1 || got.Links()[0].SpanContext.SpanID() != cause.SpanContext().SpanID() {
		t.Errorf("links %v, want one to the cause %v", got.Links(), cause.SpanContext())
	}
	if len(spans[2].Links()) != 0 {
		t.Errorf("a trace without a cause has links %v", spans[2].Links())
	}
}
