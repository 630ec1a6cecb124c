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
		var cpu [3][]string // per event (per transaction for pgbench), by round
		measure := []func(){
			func() {
				rate, perEvent := fullSpeed(b, "eshop", startEshop, fullSpeedEvents)
				eshop, cpu[0] = append(eshop, rate), append(cpu[0], perEvent)
			},
			func() {
				rate, perEvent := fullSpeed(b, "watermill", startWatermill, watermillFullSpeedEvents)
				watermill, cpu[1] = append(watermill, rate), append(cpu[1], perEvent)
			},
			func() {
				tps, perTx := oneRowCommits(b)
				postgres, cpu[2] = append(postgres, tps), append(cpu[2], perTx)
			},
		}
		for round := range rounds {
			for i := range measure {
				measure[(i+round)%len(measure)]()
			}
		}
		if eshop[0] > 0 && watermill[0] > 0 && postgres[0] > 0 { // none left out by -bench
			printPaired(eshop, watermill, postgres)
			printCPU(cpu)
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
// at full speed and tears it down. It returns the events handled per
// second and the processor time an event took, by part.
func fullSpeed[P pipeline](b *testing.B, name string, start func(*testing.B, *sink) P, events int) (float64, string) {
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
	return f.perSecond, f.cpu.perUnit(float64(events))
}

// oneRowCommits measures PostgreSQL's commit rate of one-row inserts, and
// the processor time a transaction took.
func oneRowCommits(b *testing.B) (tps float64, cpuPerTx string) {
	b.Run("pgbench", func(b *testing.B) { tps, cpuPerTx = pgbenchRate(b, 5) })
	return tps, cpuPerTx
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

// printCPU prints the processor time of an event of each pipeline and of a
// pgbench transaction, by part and round: with every part on this
// machine's cores, what bounds each rate.
func printCPU(cpu [3][]string) {
	w := os.Stdout
	fmt.Fprintf(w, "Processor time (user and system, every process of each server on this machine):\n")
	fmt.Fprintf(w, "| round | eshop, per event | watermill, per event | pgbench, per transaction |\n|---|---|---|---|\n")
	for i := range cpu[0] {
		fmt.Fprintf(w, "| %d | %s | %s | %s |\n", i+1, cpu[0][i], cpu[1][i], cpu[2][i])
	}
	fmt.Fprintln(w)
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
