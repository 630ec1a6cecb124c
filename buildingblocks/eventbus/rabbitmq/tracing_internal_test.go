package rabbitmq

import (
	"context"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/trace"
)

// The carrier writes the W3C headers into an AMQP table and reads them
// back, leaving the other headers alone and ignoring values that are no
// strings (what the broker adds: x-death, x-delivery-count).
func TestTableCarrierRoundTripsTheTraceContext(t *testing.T) {
	const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	ctx := tracing.Extract(context.Background(), map[string]string{"traceparent": traceparent, "tracestate": "eshop=1"})

	headers := amqp.Table{"x-correlation-id": "req-1", "x-delivery-count": int64(3)}
	tracing.Propagator.Inject(ctx, tableCarrier(headers))
	if headers["traceparent"] != traceparent || headers["tracestate"] != "eshop=1" || headers["x-correlation-id"] != "req-1" {
		t.Fatalf("headers after inject: %v", headers)
	}
	if err := headers.Validate(); err != nil {
		t.Errorf("the headers are no valid AMQP table: %v", err)
	}

	got := trace.SpanContextFromContext(tracing.Propagator.Extract(context.Background(), tableCarrier(headers)))
	want := trace.SpanContextFromContext(ctx)
	if !got.Equal(want) {
		t.Errorf("extracted %v, want %v", got, want)
	}
	if v := tableCarrier(headers).Get("x-delivery-count"); v != "" {
		t.Errorf("Get of a number header = %q, want empty", v)
	}
	if len(tableCarrier(headers).Keys()) != 4 {
		t.Errorf("keys %v", tableCarrier(headers).Keys())
	}
}
