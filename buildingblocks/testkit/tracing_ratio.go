package testkit

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// OnOff collects the throughput of a benchmark run with something (tracing)
// off and on, in interleaved rounds (off, on, off, on …) so that a machine
// whose load changes during the run (a shared one) weighs on both alike.
type OnOff struct {
	Off, On []float64
}

// String says each round's figures and the median of the rounds' on/off
// ratios: "bus with tracing: round 1 9100 → 8700 events/s (95.6 %) …
// median 95.6 %".
func (r OnOff) String() string {
	var b strings.Builder
	var ratios []float64
	for i := range min(len(r.Off), len(r.On)) {
		ratio := 100 * r.On[i] / r.Off[i]
		ratios = append(ratios, ratio)
		fmt.Fprintf(&b, "round %d: off %.0f, on %.0f events/s (%.1f %%); ", i+1, r.Off[i], r.On[i], ratio)
	}
	if len(ratios) == 0 {
		return "no round ran"
	}
	slices.Sort(ratios)
	median := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		median = (ratios[len(ratios)/2-1] + median) / 2
	}
	fmt.Fprintf(&b, "median on/off %.1f %%", median)
	return b.String()
}

// TracingRounds runs workload, which returns its throughput, in rounds
// interleaved in one run: with tracing off (a no-op tracer provider), on (an
// ExportingTracerProvider: every span recorded and exported) and sampled
// (the same with a tenth of the traces recorded, as
// OTEL_TRACES_SAMPLER=parentbased_traceidratio and OTEL_TRACES_SAMPLER_ARG=0.1
// make a service's provider). It prints the throughput on, and sampled, as a
// share of that off, under what's name.
func TracingRounds(b *testing.B, what string, rounds int, workload func(*testing.B, trace.TracerProvider) float64) {
	var on, sampled OnOff
	traced := func(b *testing.B, to *[]float64) {
		tp, received := ExportingTracerProvider(b)
		*to = append(*to, workload(b, tp))
		if err := tp.ForceFlush(b.Context()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(received.Load())/1e6, "MB-exported")
	}
	for round := range rounds {
		b.Run(fmt.Sprintf("off/%d", round+1), func(b *testing.B) {
			off := workload(b, noop.NewTracerProvider())
			on.Off, sampled.Off = append(on.Off, off), append(sampled.Off, off)
		})
		b.Run(fmt.Sprintf("on/%d", round+1), func(b *testing.B) { traced(b, &on.On) })
		b.Run(fmt.Sprintf("sampled/%d", round+1), func(b *testing.B) {
			b.Setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
			b.Setenv("OTEL_TRACES_SAMPLER_ARG", "0.1")
			traced(b, &sampled.On)
		})
	}
	// Printed, not logged: a benchmark that only runs sub-benchmarks shows
	// no log of its own.
	fmt.Printf("%s: %s with tracing: %v\n", b.Name(), what, on)
	fmt.Printf("%s: %s with a tenth of the traces sampled: %v\n", b.Name(), what, sampled)
}
