//go:build disruptive

package rabbitmq_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// TestDisruptiveBrokerClosesAllConnectionsAndRestarts publishes 10,000
// events while the broker closes every connection (twice) and is stopped
// for a few seconds and started again: every event is handled.
func TestDisruptiveBrokerClosesAllConnectionsAndRestarts(t *testing.T) {
	tb, _ := newTestBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	publisher := tb.bus(tb.config("catalog"))
	consumerCfg := tb.config("basket")
	consumer := tb.bus(consumerCfg)
	handled := newSeen()
	subscribe(t, ctx, consumer, "PriceChanged", handled.handler)

	const total = 10_000
	disturbed := make(chan struct{})
	s := &stream{n: total, goroutines: 32, pause: 30 * time.Millisecond, holdFrom: 9 * total / 10, hold: disturbed}
	ids, publishErr := s.start(ctx, publisher, "PriceChanged")

	testkit.WaitFor(t, "publishing progress", func() bool { return s.published.Load() >= total/10 })
	testkit.CloseAllConnections(t)
	t.Logf("closed all connections after %d published", s.published.Load())

	testkit.WaitFor(t, "publishing progress", func() bool { return s.published.Load() >= 3*total/10 })
	from := s.published.Load()
	testkit.RestartBroker(t, 2*time.Second)
	t.Logf("broker restarted while events %d to %d were published", from, s.published.Load())

	testkit.WaitFor(t, "publishing progress", func() bool { return s.published.Load() >= 6*total/10 })
	testkit.CloseAllConnections(t)
	t.Logf("closed all connections after %d published", s.published.Load())
	close(disturbed)

	if err := <-publishErr; err != nil {
		t.Fatalf("Publish: %v", err)
	}
	waitAllHandled(t, handled, ids)
	testkit.WaitFor(t, "the bus to reconnect", func() bool { return publisher.Check(ctx) == nil && consumer.Check(ctx) == nil })
	wantNoDeadLetters(t, ctx, consumerCfg)
}

// TestDisruptivePublishWhileTheBrokerBlocksPublishers: under a memory alarm
// the broker stops reading from publishing connections; Publish waits, but
// no longer than its context, and succeeds once the alarm is over.
func TestDisruptivePublishWhileTheBrokerBlocksPublishers(t *testing.T) {
	tb, ctx := newTestBroker(t)
	bus := tb.bus(tb.config("catalog"))
	handled := newSeen()
	subscribe(t, ctx, tb.bus(tb.config("basket")), "PriceChanged", handled.handler)
	publish(t, ctx, bus, "PriceChanged", 1)

	unblock := testkit.BlockPublishers(t)
	var err error
	testkit.WaitFor(t, "a publish to be refused for its deadline", func() bool {
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		err = bus.Publish(short, message("PriceChanged"))
		return err != nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish while blocked = %v, want DeadlineExceeded", err)
	}
	// A message larger than the socket buffers: written now, it would hang
	// in the write until the alarm ends, whatever its deadline.
	big := message("PriceChanged")
	big.Body = bytes.Repeat([]byte(" "), 32<<20)
	result := make(chan error, 1)
	go func() {
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		result <- bus.Publish(short, big)
	}()
	select {
	case err := <-result:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("large Publish while blocked = %v, want DeadlineExceeded", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a large Publish while blocked ignored its deadline")
	}
	unblock()
	last := message("PriceChanged")
	if err := bus.Publish(ctx, last); err != nil {
		t.Fatalf("Publish after the alarm: %v", err)
	}
	testkit.WaitFor(t, "the last event", func() bool { return handled.has(last.ID) })
}
