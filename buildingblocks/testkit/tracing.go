package testkit

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// ExportingTracerProvider returns a tracer provider as a service with
// OTEL_EXPORTER_OTLP_ENDPOINT set has one (a batch span processor and the
// OTLP/HTTP exporter), exporting to a receiver of the test's own that
// reads every export and discards it: what the benchmarks of tracing "on"
// pay, without a collector; opts tune the batch span processor. The
// returned counter is how many bytes of exports it received. Both stop
// when the test ends.
func ExportingTracerProvider(t testing.TB, opts ...sdktrace.BatchSpanProcessorOption) (*sdktrace.TracerProvider, *atomic.Int64) {
	t.Helper()
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Add(n)
		// An empty ExportTraceServiceResponse is zero bytes of protobuf.
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"))
	if err != nil {
		srv.Close()
		t.Fatalf("testkit: OTLP exporter: %v", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, opts...))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		srv.Close()
	})
	return tp, &received
}

// RecordSpans returns a tracer provider whose ended spans the returned
// recorder keeps, for a test to read; it shuts down when the test ends.
func RecordSpans(t testing.TB) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}
