//go:build disruptive

package bustest

import (
	"context"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// RunDisruptive runs the cases that disturb the server for everybody (a
// restart): only the disruptive step (the build tag disruptive, a test
// named …Disruptive…, run alone) may call it.
func RunDisruptive(t *testing.T, tr Transport) {
	run(t, tr, []testCase{
		{"ServerClosesTheConnectionsAndRestartsMidStream", func(f Features) bool { return f.Reconnects && f.Durable }, serverRestartsMidStream},
	})
}

// Events flow while the server closes every connection (twice) and is
// stopped for a few seconds and started again: every event is handled.
func serverRestartsMidStream(e *env) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	e.ctx = ctx
	publisher, consumer := e.bus("catalog", Options{}), e.bus("basket", Options{})
	handled := NewSeen()
	Subscribe(e.t, ctx, consumer, "PriceChanged", handled.Handle)

	total := e.tr.Features.StreamEvents
	disturbed := make(chan struct{})
	s := &stream{n: total, goroutines: 32, pause: 30 * time.Millisecond, holdFrom: 9 * total / 10, hold: disturbed}
	ids, publishErr := s.start(ctx, publisher, "PriceChanged")
	server := as[Disrupter](e)

	testkit.WaitFor(e.t, "publishing progress", func() bool { return s.published.Load() >= int64(total/10) })
	server.CutAllConnections(e.t)
	e.t.Logf("closed all connections after %d published", s.published.Load())

	testkit.WaitFor(e.t, "publishing progress", func() bool { return s.published.Load() >= int64(3*total/10) })
	from := s.published.Load()
	server.RestartServer(e.t, 2*time.Second)
	e.t.Logf("server restarted while events %d to %d were published", from, s.published.Load())

	testkit.WaitFor(e.t, "publishing progress", func() bool { return s.published.Load() >= int64(6*total/10) })
	server.CutAllConnections(e.t)
	e.t.Logf("closed all connections after %d published", s.published.Load())
	close(disturbed)

	if err := <-publishErr; err != nil {
		e.t.Fatalf("Publish: %v", err)
	}
	handled.WaitAll(e.t, ids)
	for _, bus := range []any{publisher, consumer} {
		if c, ok := bus.(interface{ Check(context.Context) error }); ok {
			testkit.WaitFor(e.t, "the bus to reconnect", func() bool { return c.Check(ctx) == nil })
		}
	}
	e.wantNoDeadLetters("basket")
}
