package bench

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// producers is how many goroutines commit events at once, in every
// pipeline measured, and how many clients pgbench runs.
const producers = 16

// pipeline is one way from a producer's transaction to a consumer's: commit
// stores business row id and its event in one transaction, calling
// beforeCommit just before it sends COMMIT; the pipeline's consumer calls
// the handled function it was started with once per event id, after its
// own commit.
type pipeline interface {
	commit(ctx context.Context, id int, beforeCommit func()) error
}

// load is one measured workload: events committed by the producers, as
// fast as they go (rate 0) or paced at rate events/s in all.
type load struct {
	events int
	rate   int
}

// figures is what one workload measured. Latency is from the start of the
// producer's COMMIT to the end of the consumer's, plus, under a paced
// load, how late the producer's transaction began after its schedule: an
// event that falls behind is charged for the wait (no coordinated
// omission).
type figures struct {
	perSecond     float64 // events handled per second, from the first scheduled to the last handled
	committed     float64 // events committed by the producers per second
	p50, p99, max time.Duration
	cpu           cpuUse // processor time spent meanwhile, by part
}

// tracker follows the events of one workload through a pipeline.
type tracker struct {
	committing []atomic.Int64 // per event: when its COMMIT started (unix ns)
	late       []atomic.Int64 // per event: how late its transaction began (ns)
	latency    []atomic.Int64 // per event: commit-to-handled plus late (ns)
	remaining  atomic.Int64
	done       chan struct{}
	last       atomic.Int64 // when the last event was handled (unix ns)
}

func newTracker(events int) *tracker {
	t := &tracker{
		committing: make([]atomic.Int64, events),
		late:       make([]atomic.Int64, events),
		latency:    make([]atomic.Int64, events),
		done:       make(chan struct{}),
	}
	t.remaining.Store(int64(events))
	return t
}

// handled records that the consumer committed event id. Ids out of range
// (the warm-up's negative ones) are ignored.
func (t *tracker) handled(id int) {
	if id < 0 || id >= len(t.latency) {
		return
	}
	now := time.Now().UnixNano()
	if !t.latency[id].CompareAndSwap(0, now-t.committing[id].Load()+t.late[id].Load()) {
		return // a second copy: counted once
	}
	t.last.Store(now)
	if t.remaining.Add(-1) == 0 {
		close(t.done)
	}
}

// run commits the workload's events through p, paced if it has a rate,
// and returns once the consumer handled all of them.
func (l load) run(b *testing.B, p pipeline, t *tracker) figures {
	b.Helper()
	ctx := context.Background()
	cpuBefore := readCPU()
	start := time.Now()
	if err := testkit.Parallel(l.events, producers, func(i int) error {
		if l.rate > 0 {
			due := start.Add(time.Duration(i) * time.Second / time.Duration(l.rate))
			time.Sleep(time.Until(due))
			t.late[i].Store(max(0, int64(time.Since(due))))
		}
		return p.commit(ctx, i, func() { t.committing[i].Store(time.Now().UnixNano()) })
	}); err != nil {
		b.Fatal(err)
	}
	committed := float64(l.events) / time.Since(start).Seconds()
	select {
	case <-t.done:
	case <-time.After(2 * time.Minute):
		b.Fatalf("%d of %d events not handled after 2 minutes", t.remaining.Load(), l.events)
	}
	cpu := readCPU().sub(cpuBefore)
	lat := make([]time.Duration, len(t.latency))
	for i := range t.latency {
		lat[i] = time.Duration(t.latency[i].Load())
	}
	slices.Sort(lat)
	return figures{
		perSecond: float64(l.events) / time.Unix(0, t.last.Load()).Sub(start).Seconds(),
		committed: committed,
		p50:       lat[len(lat)/2],
		p99:       lat[len(lat)*99/100],
		max:       lat[len(lat)-1],
		cpu:       cpu,
	}
}

// sink is where a pipeline's consumer reports each event it handled: to
// the tracker of the workload under way, or, for the warm-up's negative
// ids, to warm.
type sink struct {
	warm    chan struct{}
	current atomic.Pointer[tracker]
}

func newSink() *sink { return &sink{warm: make(chan struct{}, 2*producers)} }

func (s *sink) handled(id int) {
	if id >= 0 {
		s.current.Load().handled(id)
		return
	}
	select {
	case s.warm <- struct{}{}:
	default: // a second copy
	}
}

// measure warms p up (connections open, statements prepared, queues bound)
// with events of negative ids, then runs l through it.
func (s *sink) measure(b *testing.B, p pipeline, l load) figures {
	b.Helper()
	for i := range producers {
		if err := p.commit(context.Background(), -1-i, func() {}); err != nil {
			b.Fatal(err)
		}
	}
	for range producers {
		select {
		case <-s.warm:
		case <-time.After(time.Minute):
			b.Fatal("warm-up events not handled after a minute")
		}
	}
	t := newTracker(l.events)
	s.current.Store(t)
	return l.run(b, p, t)
}
