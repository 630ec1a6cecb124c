package rabbitmq_test

import (
	"context"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// BenchmarkBusTracing runs BenchmarkBus's workload with tracing off (no
// spans), on (a span per publish and per delivery, exported over OTLP/HTTP
// to a receiver that discards them) and sampled (a tenth of the traces),
// in interleaved rounds of the same run (testkit.TracingRounds), and
// prints the throughput with tracing on, and sampled, as a share of that
// with it off.
func BenchmarkBusTracing(b *testing.B) {
	testkit.TracingRounds(b, "the bus", 3, benchBus)
}

// spanCostEvents is how many events one iteration of BenchmarkSpanCost
// traces.
const spanCostEvents = 100_000

// BenchmarkSpanCost measures what tracing an event costs this process
// without a broker: the bus's own code for the publish span (the span, its
// context into the headers, its attributes) and for the process span (the
// context out of the AMQP headers, the span, its attributes), with the
// OpenTelemetry SDK exporting over OTLP/HTTP to a receiver that discards,
// as BenchmarkBusTracing's "on" does. "sdk" is the floor under it: two
// spans with the same names, kinds and attributes made up front, nothing
// propagated. It reports the process's processor time per event, the
// garbage collector's and the exporter's included, beside which
// BenchmarkBusTracing's cpu-µs/event tells what the rest of the bus costs.
func BenchmarkSpanCost(b *testing.B) {
	m := eventbus.Message{ID: uuid.New(), Name: "ProductPriceChangedIntegrationEvent", Time: time.Now()}
	for _, c := range []struct {
		name  string
		trace func(context.Context, trace.Tracer, string, eventbus.Message)
	}{{"bus", rabbitmq.TraceEvent}, {"sdk", rabbitmq.TraceEventSpansOnly}} {
		b.Run(c.name, func(b *testing.B) {
			// Blocking: none of the spans made faster than the
			// exporter sends them is dropped unexported.
			tp, received := testkit.ExportingTracerProvider(b, sdktrace.WithBlocking())
			tracer := tp.Tracer("github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq")
			for b.Loop() {
				start := testkit.ProcessCPU()
				for range spanCostEvents {
					c.trace(b.Context(), tracer, "eshop", m)
				}
				if err := tp.ForceFlush(b.Context()); err != nil {
					b.Fatal(err)
				}
				perEvent := float64((testkit.ProcessCPU() - start).Nanoseconds()) / 1e3 / spanCostEvents
				b.ReportMetric(perEvent, "cpu-µs/event")
				b.ReportMetric(float64(received.Load())/spanCostEvents, "B-exported/event")
				received.Store(0)
			}
		})
	}
}
