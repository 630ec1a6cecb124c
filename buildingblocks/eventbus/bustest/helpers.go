package bustest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// Seen records which message ids were handled, and how often.
type Seen struct {
	mu      sync.Mutex
	count   map[uuid.UUID]int
	changed chan struct{}
}

// NewSeen returns an empty record.
func NewSeen() *Seen {
	return &Seen{count: map[uuid.UUID]int{}, changed: make(chan struct{})}
}

// Add records one handling of id.
func (s *Seen) Add(id uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count[id]++
	close(s.changed)
	s.changed = make(chan struct{})
}

// Handle is an [eventbus.Handler] that records every message and succeeds.
func (s *Seen) Handle(_ context.Context, m eventbus.Message) error {
	s.Add(m.ID)
	return nil
}

// Distinct is the number of different ids handled.
func (s *Seen) Distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.count)
}

// Duplicates is the number of handlings beyond the first of each id.
func (s *Seen) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := 0
	for _, n := range s.count {
		d += n - 1
	}
	return d
}

// Has reports whether id was handled.
func (s *Seen) Has(id uuid.UUID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[id] > 0
}

// WaitDistinct waits until n different ids were handled.
func (s *Seen) WaitDistinct(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(testkit.Patience)
	for {
		s.mu.Lock()
		got, changed := len(s.count), s.changed
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("handled %d different events, want %d", got, n)
		}
	}
}

// WaitAll waits until every one of ids was handled.
func (s *Seen) WaitAll(t testing.TB, ids []uuid.UUID) {
	t.Helper()
	s.WaitDistinct(t, len(ids))
	for _, id := range ids {
		if !s.Has(id) {
			t.Fatalf("event %s never handled", id)
		}
	}
	t.Logf("%d events handled, %d redelivered duplicates", len(ids), s.Duplicates())
}

// NewMessage returns a dynamic message of the event name with a fresh id.
func NewMessage(name string) eventbus.Message {
	id := uuid.New()
	return eventbus.Message{
		ID:   id,
		Name: name,
		Time: time.Now().UTC(),
		Body: fmt.Appendf(nil, `{"Id":%q,"CreationDate":%q}`, id, time.Now().UTC().Format(time.RFC3339Nano)),
	}
}

// PublishN publishes n messages of the event name.
func PublishN(t testing.TB, ctx context.Context, bus eventbus.Publisher, name string, n int) {
	t.Helper()
	for range n {
		if err := bus.Publish(ctx, NewMessage(name)); err != nil {
			t.Fatal(err)
		}
	}
}

// Subscribe subscribes h to the event name, published by [Publisher], on
// bus.
func Subscribe(t testing.TB, ctx context.Context, bus eventbus.Subscriber, name string, h eventbus.Handler) eventbus.Subscription {
	t.Helper()
	sub, err := bus.Subscribe(ctx, eventbus.Route{EventName: name, Publisher: Publisher, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// Gate holds the handler calls that pass it until the test opens it, and
// tells the test when a call arrived (Running).
type Gate struct {
	Running chan struct{}
	opened  chan struct{}
}

// NewGate returns a closed gate.
func NewGate() Gate {
	return Gate{Running: make(chan struct{}, 1), opened: make(chan struct{})}
}

// Pass signals Running and waits until the gate opens. A correct
// Unsubscribe waits for the very call that waits for it here; so the call
// gives up after a while instead of deadlocking the test.
func (g Gate) Pass() {
	select {
	case g.Running <- struct{}{}:
	default:
	}
	select {
	case <-g.opened:
	case <-time.After(time.Second):
	}
}

// Open lets the calls through.
func (g Gate) Open() { close(g.opened) }

// LateCalls counts the calls of a handler that start after its
// Unsubscribe returned.
type LateCalls struct {
	returned atomic.Bool
	n        atomic.Int32
}

// Call is the handler's: it counts the call if it is late.
func (l *LateCalls) Call() {
	if l.returned.Load() {
		l.n.Add(1)
	}
}

// Unsubscribe unsubscribes the handler's sub; calls from then on are late.
func (l *LateCalls) Unsubscribe(t testing.TB, ctx context.Context, sub eventbus.Subscription) {
	t.Helper()
	if err := sub.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	l.returned.Store(true)
}

// Late is how many calls were late.
func (l *LateCalls) Late() int { return int(l.n.Load()) }

// WantNone fails the test if a call was late.
func (l *LateCalls) WantNone(t testing.TB) {
	t.Helper()
	if n := l.n.Load(); n != 0 {
		t.Errorf("handler called %d times after its Unsubscribe returned", n)
	}
}

// stream publishes n events of one name from several goroutines.
type stream struct {
	n, goroutines int
	// pause, between two publishes of one goroutine, stretches the stream
	// so that the test can disturb it midway.
	pause time.Duration
	// The events from holdFrom on wait for hold to close, so that the
	// stream cannot end before the test disturbed it.
	holdFrom int
	hold     <-chan struct{}

	published atomic.Int64 // confirmed so far
}

// start publishes in the background and returns the events' ids and a
// channel that yields the first publish error (or nil) once all returned.
func (s *stream) start(ctx context.Context, bus eventbus.Publisher, name string) ([]uuid.UUID, <-chan error) {
	msgs := make([]eventbus.Message, s.n)
	ids := make([]uuid.UUID, s.n)
	for i := range msgs {
		msgs[i] = NewMessage(name)
		ids[i] = msgs[i].ID
	}
	done := make(chan error, 1)
	go func() {
		done <- testkit.Parallel(s.n, s.goroutines, func(i int) error {
			if s.hold != nil && i >= s.holdFrom {
				<-s.hold
			}
			if err := bus.Publish(ctx, msgs[i]); err != nil {
				return err
			}
			s.published.Add(1)
			time.Sleep(s.pause)
			return nil
		})
	}()
	return ids, done
}
