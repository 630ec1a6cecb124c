package tracing

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The W3C trace context headers, as the wire contract (docs/events.md) and the
// outbox name them.
const (
	TraceparentHeader = "traceparent"
	TracestateHeader  = "tracestate"
)

// Propagator is the W3C trace context: what every building block injects
// and extracts, whatever else OTEL_PROPAGATORS may name, because it is
// part of the wire contract.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Headers returns the trace context of ctx's span as W3C headers
// (traceparent, and tracestate if any), or nil when ctx carries no valid
// span context.
func Headers(ctx context.Context) map[string]string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	h := make(propagation.MapCarrier, 2)
	Propagator.Inject(ctx, h)
	return h
}

// WithHeaders returns a copy of headers with the trace context of ctx's
// span written in, replacing any there (one map, of the right size).
// Without a valid span context it returns headers as they are.
func WithHeaders(ctx context.Context, headers map[string]string) map[string]string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return headers
	}
	h := make(propagation.MapCarrier, len(headers)+2)
	for k, v := range headers {
		if k != TracestateHeader { // the span's replaces it, if it has one
			h[k] = v
		}
	}
	Propagator.Inject(ctx, h)
	return h
}

// Extract returns ctx with the remote span context that W3C headers
// carry, to be a new span's parent; ctx as it is when they carry none.
func Extract(ctx context.Context, headers map[string]string) context.Context {
	if headers[TraceparentHeader] == "" {
		return ctx
	}
	return Propagator.Extract(ctx, propagation.MapCarrier(headers))
}

// SpanContext is the span context that W3C headers carry; invalid when
// they carry none.
func SpanContext(headers map[string]string) trace.SpanContext {
	return trace.SpanContextFromContext(Extract(context.Background(), headers))
}

// NewTrace starts the span of work that a timer, not a request or an
// event, started: the root of a new trace, linked to the context of its
// cause (cause: the W3C headers stored with it, e.g. those of the request
// that created an order). Without a valid cause it is a root without a
// link.
func NewTrace(ctx context.Context, tracer trace.Tracer, name string, cause map[string]string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	opts = append(opts, trace.WithNewRoot())
	if sc := SpanContext(cause); sc.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
	}
	return tracer.Start(ctx, name, opts...)
}
