// Package bustest is the conformance suite of [eventbus.Bus]: the
// guarantees every transport gives the services, tested the same way on
// each, against the real server. A transport's tests run it with a
// [Transport]: how to start a bus of a named service on a fresh, isolated
// namespace of the server, a few hooks the cases need beside the bus
// (dead letters, a forged publish, cut connections), and its [Features]:
// what it does not promise, so that the cases of those are not run.
//
//	func TestConformance(t *testing.T) { bustest.Run(t, transport) }
//
// The server restart is the case of the disruptive step (the build tag
// disruptive, RunDisruptive). The crash loop runs the test binary again as
// a service that dies: a transport that promises it runs its tests through
// [Main].
//
// Only tests import this package.
package bustest

import (
	"context"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// Publisher is the service that publishes every event of the suite: the
// routes the cases subscribe name it, and a transport's buses publish as
// it. A route that names any other service finds their messages forged.
const Publisher = "tests"

// A Transport is what the suite needs of a transport.
type Transport struct {
	// NewBroker returns a fresh namespace of the server for one test (for
	// RabbitMQ an exchange and a queue prefix of its own), removed when the
	// test ends; a server that does not answer fails the test.
	NewBroker func(t testing.TB) Broker
	// OpenBroker opens again, in another process, the namespace a Broker
	// names ([Broker.Name]): the crash loop's dying service. Needed only
	// with Features.CrashLoopBound.
	OpenBroker func(name string) Broker
	// Features says what the transport promises.
	Features Features
}

// Features are the guarantees a transport may not give. A case of a
// guarantee the transport does not promise is not run; the others are
// run on every transport, and a transport passes them unchanged.
type Features struct {
	// CompetingConsumers: the buses of one service (its instances) share
	// its events, each handled by one of them.
	CompetingConsumers bool
	// Durable: the namespace keeps a service's events while none of its
	// buses runs; Publish returns once the event is stored; Close waits
	// for the running handlers and hands back what it did not handle.
	Durable bool
	// UnsubscribeWaits: Unsubscribe returns once no call of its handler
	// runs or will start.
	UnsubscribeWaits bool
	// Retries: a failing handler's message waits for its next attempt,
	// with backoff, in the server and not in a handler slot; a handler
	// that panics is a failing handler.
	Retries bool
	// ParkedWhy: a parked message says why (the reasons of DeadLetter),
	// after how many failed attempts, the last error and when.
	ParkedWhy bool
	// Replay: the parked messages can be moved back ([Replayer]), and a
	// replayed message starts afresh.
	Replay bool
	// ReplayDropsHeaders are the headers of a parked message (why, when)
	// that a replayed one no longer carries.
	ReplayDropsHeaders []string
	// Forgery: the transport knows the event a message was routed as and
	// who published it, and parks as forged one that claims otherwise
	// ([Forger]).
	Forgery bool
	// CrashLoopBound is how many deliveries without an outcome park a
	// message that kills its service each time; 0: no such guard.
	CrashLoopBound int
	// Reconnects: the buses come back by themselves after their
	// connections were cut ([Disrupter]).
	Reconnects bool
	// StreamEvents is how many events the cases with cut connections or a
	// server restart stream.
	StreamEvents int
}

// A Broker is one test's namespace of the server.
type Broker interface {
	// Start starts a bus of the service svc. The suite closes it.
	Start(ctx context.Context, svc string, o Options) (eventbus.Bus, error)
	// DeadLetters returns what the service svc parked, oldest first, and
	// leaves it parked.
	DeadLetters(t testing.TB, ctx context.Context, svc string) []DeadLetter
	// Name names the namespace for OpenBroker.
	Name() string
}

// Options tune a bus for a case; a zero field is the transport's default.
type Options struct {
	Concurrency int
	// Prefetch bounds the deliveries a bus holds unsettled.
	Prefetch       int
	MaxAttempts    int
	RetryBackoff   time.Duration
	UnhandledGrace time.Duration
}

// A Replayer moves parked messages back to their service (Features.Replay):
// those named by ids, or, without ids, those parked as failed, invalid or
// without a handler. It returns how many it moved.
type Replayer interface {
	Replay(t testing.TB, ctx context.Context, svc string, ids ...uuid.UUID) int
}

// A Forger publishes around the bus, as a publisher's own client can
// (Features.Forgery): m, routed as the event routedAs while it claims to
// be m.Name, and waits until the server stored it.
type Forger interface {
	Forge(t testing.TB, ctx context.Context, routedAs string, m eventbus.Message)
}

// A Disrupter disturbs the server (Features.Reconnects).
type Disrupter interface {
	// CutConnections makes the server close the connections of this
	// namespace's buses, and returns how many it closed.
	CutConnections(t testing.TB) int
	// CutAllConnections makes the server close every client's
	// connections, and RestartServer stops the server for downtime and
	// starts it again: both disturb everybody, and only the disruptive
	// step calls them.
	CutAllConnections(t testing.TB)
	RestartServer(t testing.TB, downtime time.Duration)
}

// DeadLetter is a parked message as a transport lists it.
type DeadLetter struct {
	eventbus.Message
	// Reason is one of the reasons below, with Features.ParkedWhy.
	Reason    string
	Attempts  int
	LastError string
	ParkedAt  time.Time
}

// The reasons a bus parks a message for (Features.ParkedWhy).
const (
	ReasonFailed    = "failed"
	ReasonInvalid   = "invalid"
	ReasonForged    = "forged"
	ReasonCrashLoop = "crash-loop"
	ReasonNoHandler = "no-handler"
)

// env is one case's broker and the helpers the cases share.
type env struct {
	t   *testing.T
	ctx context.Context
	tr  Transport
	b   Broker
}

func newEnv(t *testing.T, tr Transport) *env {
	b := tr.NewBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	t.Cleanup(cancel)
	return &env{t: t, ctx: ctx, tr: tr, b: b}
}

// bus starts a bus of the service svc, closed when the test ends.
func (e *env) bus(svc string, o Options) eventbus.Bus {
	e.t.Helper()
	bus, err := e.b.Start(context.Background(), svc, o)
	if err != nil {
		e.t.Fatalf("start a bus of %s: %v", svc, err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
		defer cancel()
		if err := bus.Close(ctx); err != nil {
			e.t.Errorf("close the bus of %s: %v", svc, err)
		}
	})
	return bus
}

// declare starts a bus of svc subscribed to the event names and closes
// it, as an earlier run of the service did: the namespace keeps the
// service's events of those names until a bus of it runs again.
func (e *env) declare(svc string, o Options, names ...string) {
	e.t.Helper()
	earlier := e.bus(svc, o)
	for _, name := range names {
		Subscribe(e.t, e.ctx, earlier, name, NewSeen().Handle)
	}
	if err := earlier.Close(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// waitParked waits until svc parked at least n messages, and returns them.
func (e *env) waitParked(svc string, n int) []DeadLetter {
	e.t.Helper()
	var parked []DeadLetter
	testkit.WaitFor(e.t, "parked messages", func() bool {
		parked = e.b.DeadLetters(e.t, e.ctx, svc)
		return len(parked) >= n
	})
	return parked
}

// wantNoDeadLetters fails the test unless svc parked nothing.
func (e *env) wantNoDeadLetters(svc string) {
	e.t.Helper()
	if parked := e.b.DeadLetters(e.t, e.ctx, svc); len(parked) != 0 {
		e.t.Errorf("%d dead letters, want none: %+v", len(parked), parked)
	}
}

// A conformance case: its name, whether the transport promises it, and
// the test.
type testCase struct {
	name     string
	promised func(Features) bool
	run      func(e *env)
}

func always(Features) bool { return true }

// Run runs the cases the transport promises, each as a subtest of t on a
// namespace of its own, and logs those it does not promise.
func Run(t *testing.T, tr Transport) {
	run(t, tr, cases)
}

func run(t *testing.T, tr Transport, cs []testCase) {
	for _, c := range cs {
		if !c.promised(tr.Features) {
			t.Logf("%s: not promised by this transport", c.name)
			continue
		}
		t.Run(c.name, func(t *testing.T) { c.run(newEnv(t, tr)) })
	}
}
