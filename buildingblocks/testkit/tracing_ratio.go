package testkit

import (
	"fmt"
	"slices"
	"strings"
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
