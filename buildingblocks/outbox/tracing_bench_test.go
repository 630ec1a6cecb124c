package outbox_test

import (
	"fmt"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
)

// tracingRounds is how often BenchmarkOutboxTracing runs the workload off
// and then on.
const tracingRounds = 3

// BenchmarkOutboxTracing runs BenchmarkOutbox's full-speed workload (on
// half the events) with tracing off (the process's tracer provider makes
// no spans) and on (it exports over OTLP/HTTP to a receiver that discards:
// a span per producer transaction with its SQL, the trace context stored
// with each event, a publish span per event, a process span per delivery
// with the inbox's SQL), in interleaved rounds of the same run, and prints
// the throughput with tracing on as a share of that with it off.
//
// Each run builds its pools and buses anew, so each takes the process's
// provider of its round.
func BenchmarkOutboxTracing(b *testing.B) {
	w := workload{events: 15_000}
	traced := w
	traced.traced = true
	var r testkit.OnOff
	for round := range tracingRounds {
		b.Run(fmt.Sprintf("off/%d", round+1), func(b *testing.B) {
			otel.SetTracerProvider(noop.NewTracerProvider())
			for range b.N {
				r.Off = append(r.Off, w.run(b))
			}
		})
		b.Run(fmt.Sprintf("on/%d", round+1), func(b *testing.B) {
			tp, received := testkit.ExportingTracerProvider(b)
			otel.SetTracerProvider(tp)
			b.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
			for range b.N {
				r.On = append(r.On, traced.run(b))
			}
			if err := tp.ForceFlush(b.Context()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(received.Load())/1e6, "MB-exported")
		})
	}
	// Printed, not logged: a benchmark that only runs sub-benchmarks shows
	// no log of its own.
	fmt.Printf("%s: the outbox with tracing: %v\n", b.Name(), r)
}
