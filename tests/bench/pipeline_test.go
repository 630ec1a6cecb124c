package bench

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// rounds is how many times each side of the comparison is measured; the
// order rotates between rounds, so that a change in the machine's load
// (it is shared) falls on all of them alike.
const rounds = 3

// BenchmarkPipeline measures, in one run and alternating, the building
// blocks' event pipeline, Watermill's, and PostgreSQL's own rate of one-row
// insert transactions, each from 16 clients, and prints them with their
// ratios. Each side runs on fresh databases and queues in every round.
func BenchmarkPipeline(b *testing.B) {
	b.Run("full_speed", func(b *testing.B) {
		var eshop, watermill, postgres []float64
		measure := []func(){
			func() { eshop = append(eshop, fullSpeed(b, "eshop", startEshop, fullSpeedEvents)) },
			func() {
				watermill = append(watermill, fullSpeed(b, "watermill", startWatermill, watermillFullSpeedEvents))
			},
			func() { postgres = append(postgres, oneRowCommits(b)) },
		}
		for round := range rounds {
			for i := range measure {
				measure[(i+round)%len(measure)]()
			}
		}
		if eshop[0] > 0 && watermill[0] > 0 && postgres[0] > 0 { // none left out by -bench
			printPaired(eshop, watermill, postgres)
		}
	})
	for _, l := range []load{{events: 10_000, rate: 1000}, {events: 1_000, rate: 100}} {
		b.Run(fmt.Sprintf("%d_per_s", l.rate), func(b *testing.B) {
			f := offered(b, l)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(f.perSecond, "events/s")
			b.ReportMetric(ms(f.p50), "p50-ms")
			b.ReportMetric(ms(f.p99), "p99-ms")
			b.ReportMetric(ms(f.max), "max-ms")
		})
	}
}

// The full-speed workloads: fewer events for Watermill, which is slower,
// so that a run does not take minutes.
const (
	fullSpeedEvents          = 10_000
	watermillFullSpeedEvents = 5_000
)

// fullSpeed starts a pipeline on fresh databases and queues, measures it
// at full speed and tears it down.
func fullSpeed[P pipeline](b *testing.B, name string, start func(*testing.B, *sink) P, events int) float64 {
	var f figures
	b.Run(name, func(b *testing.B) {
		s := newSink()
		p := start(b, s)
		f = s.measure(b, p, load{events: events})
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(f.perSecond, "events/s")
		b.ReportMetric(f.committed, "committed/s")
		if e, ok := any(p).(*eshopPipeline); ok {
			e.reportCounters(b, events+producers)
		}
	})
	return f.perSecond
}

// oneRowCommits measures PostgreSQL's commit rate of one-row inserts.
func oneRowCommits(b *testing.B) float64 {
	var tps float64
	b.Run("pgbench", func(b *testing.B) { tps = pgbenchRate(b, 5) })
	return tps
}

// offered measures the building blocks' pipeline under a paced load.
func offered(b *testing.B, l load) figures {
	s := newSink()
	return s.measure(b, startEshop(b, s), l)
}

// printPaired prints the rounds of the comparison and the ratios of their
// medians, as the table docs/benchmarks.md shows.
func printPaired(eshop, watermill, postgres []float64) {
	w := os.Stdout
	fmt.Fprintf(w, "\n%d producers (pgbench: clients), %d events per run (Watermill: %d), %d rounds alternating\n",
		producers, fullSpeedEvents, watermillFullSpeedEvents, rounds)
	fmt.Fprintf(w, "| round | eshop events/s | watermill events/s | pgbench one-row tx/s | eshop / watermill | eshop / pgbench |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|\n")
	for i := range eshop {
		fmt.Fprintf(w, "| %d | %.0f | %.0f | %.0f | %.2f× | %.0f %% |\n", i+1, eshop[i], watermill[i], postgres[i],
			eshop[i]/watermill[i], 100*eshop[i]/postgres[i])
	}
	fmt.Fprintf(w, "| median | %.0f | %.0f | %.0f | %.2f× | %.0f %% |\n\n", median(eshop), median(watermill), median(postgres),
		median(eshop)/median(watermill), 100*median(eshop)/median(postgres))
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
