package rabbitmq_test

import (
	"fmt"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"go.opentelemetry.io/otel/trace/noop"
)

// tracingRounds is how often BenchmarkBusTracing runs the workload off and
// then on.
const tracingRounds = 3

// BenchmarkBusTracing runs BenchmarkBus's workload with tracing off (no
// spans) and on (a span per publish and per delivery, exported over
// OTLP/HTTP to a receiver that discards them), in interleaved rounds of
// the same run, and prints the throughput with tracing on as a share of
// that with it off.
func BenchmarkBusTracing(b *testing.B) {
	var r testkit.OnOff
	for round := range tracingRounds {
		b.Run(fmt.Sprintf("off/%d", round+1), func(b *testing.B) {
			r.Off = append(r.Off, benchBus(b, noop.NewTracerProvider()))
		})
		b.Run(fmt.Sprintf("on/%d", round+1), func(b *testing.B) {
			tp, received := testkit.ExportingTracerProvider(b)
			r.On = append(r.On, benchBus(b, tp))
			if err := tp.ForceFlush(b.Context()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(received.Load())/1e6, "MB-exported")
		})
	}
	// Printed, not logged: a benchmark that only runs sub-benchmarks shows
	// no log of its own.
	fmt.Printf("%s: the bus with tracing: %v\n", b.Name(), r)
}
