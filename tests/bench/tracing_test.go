package bench

import (
	"fmt"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
)

// Tracing on and off: how often each is measured, and on how many events.
const (
	tracingRounds = 3
	tracingEvents = 15_000
)

// BenchmarkPipelineTracing runs the building blocks' pipeline at full speed
// with tracing off (the process's tracer provider makes no spans) and on
// (it exports over OTLP/HTTP to a receiver that discards: a span per
// producer transaction with its SQL, the trace context stored with each
// event, a publish span per event, a process span per delivery with the
// inbox's SQL), in interleaved rounds of the same run, and prints the
// throughput with tracing on as a share of that with it off. Each round
// builds its pools and buses anew, so each takes the process's provider of
// its round.
func BenchmarkPipelineTracing(b *testing.B) {
	var r testkit.OnOff
	for round := range tracingRounds {
		b.Run(fmt.Sprintf("off/%d", round+1), func(b *testing.B) {
			otel.SetTracerProvider(noop.NewTracerProvider())
			r.Off = append(r.Off, tracedFullSpeed(b, false))
		})
		b.Run(fmt.Sprintf("on/%d", round+1), func(b *testing.B) {
			tp, received := testkit.ExportingTracerProvider(b)
			otel.SetTracerProvider(tp)
			b.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
			r.On = append(r.On, tracedFullSpeed(b, true))
			if err := tp.ForceFlush(b.Context()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(received.Load())/1e6, "MB-exported")
		})
	}
	// Printed, not logged: a benchmark that only runs sub-benchmarks shows
	// no log of its own.
	fmt.Printf("%s: the pipeline with tracing: %v\n", b.Name(), r)
}

// tracedFullSpeed measures the building blocks' pipeline at full speed,
// its producers' transactions in spans of their own if traced, and
// reports its events/s and the processor time of an event by process.
func tracedFullSpeed(b *testing.B, traced bool) float64 {
	s := newSink()
	p := startEshop(b, s)
	p.traced = traced
	f := s.measure(b, p, load{events: tracingEvents})
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(f.perSecond, "events/s")
	perEvent := func(d float64) float64 { return d / 1e3 / tracingEvents }
	b.ReportMetric(perEvent(float64(f.cpu.Process)), "go-cpu-µs/event")
	b.ReportMetric(perEvent(float64(f.cpu.PostgreSQL)), "postgres-cpu-µs/event")
	b.ReportMetric(perEvent(float64(f.cpu.RabbitMQ)), "broker-cpu-µs/event")
	return f.perSecond
}
