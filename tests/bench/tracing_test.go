package bench

import (
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// tracingEvents is how many events each round of BenchmarkPipelineTracing
// measures.
const tracingEvents = 15_000

// BenchmarkPipelineTracing runs the building blocks' pipeline at full speed
// with tracing off (the process's tracer provider makes no spans), on (it
// exports over OTLP/HTTP to a receiver that discards: a span per producer
// transaction with its SQL, the trace context stored with each event, a
// publish span per event, a process span per delivery with the inbox's
// SQL) and sampled (a tenth of the traces), in interleaved rounds of the
// same run (testkit.TracingRounds), and prints the throughput with tracing
// on, and sampled, as a share of that with it off. Each round builds its
// pools and buses anew, so each takes the process's provider of its round.
func BenchmarkPipelineTracing(b *testing.B) {
	testkit.TracingRounds(b, "the pipeline", 3, func(b *testing.B, tp trace.TracerProvider) float64 {
		otel.SetTracerProvider(tp)
		b.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
		return tracedFullSpeed(b)
	})
}

// tracedFullSpeed measures the building blocks' pipeline at full speed,
// its producers' transactions in spans of their own (of the process's
// tracer provider), and reports its events/s and the processor time of an
// event by process.
func tracedFullSpeed(b *testing.B) float64 {
	s := newSink()
	p := startEshop(b, s)
	p.traced = true
	f := s.measure(b, p, load{events: tracingEvents})
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(f.perSecond, "events/s")
	perEvent := func(d float64) float64 { return d / 1e3 / tracingEvents }
	b.ReportMetric(perEvent(float64(f.cpu.Process)), "go-cpu-µs/event")
	b.ReportMetric(perEvent(float64(f.cpu.PostgreSQL)), "postgres-cpu-µs/event")
	b.ReportMetric(perEvent(float64(f.cpu.RabbitMQ)), "broker-cpu-µs/event")
	return f.perSecond
}
