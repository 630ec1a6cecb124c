//go:build disruptive

package rabbitmq_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// TestDisruptiveConformance runs the conformance suite's cases that
// disturb the whole broker: 10,000 events published while the broker
// closes all connections (twice) and is stopped for a few seconds and
// started again, every one handled.
func TestDisruptiveConformance(t *testing.T) { bustest.RunDisruptive(t, transport) }

// TestDisruptivePublishWhileTheBrokerBlocksPublishers: under a memory alarm
// the broker stops reading from publishing connections; Publish waits, but
// no longer than its context, and succeeds once the alarm is over.
func TestDisruptivePublishWhileTheBrokerBlocksPublishers(t *testing.T) {
	tb, ctx := newTestBroker(t)
	bus := tb.bus(tb.config("catalog"))
	handled := bustest.NewSeen()
	bustest.Subscribe(t, ctx, tb.bus(tb.config("basket")), "PriceChanged", handled.Handle)
	bustest.PublishN(t, ctx, bus, "PriceChanged", 1)

	unblock := testkit.BlockPublishers(t)
	var err error
	testkit.WaitFor(t, "a publish to be refused for its deadline", func() bool {
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		err = bus.Publish(short, bustest.NewMessage("PriceChanged"))
		return err != nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish while blocked = %v, want DeadlineExceeded", err)
	}
	// A message larger than the socket buffers: written now, it would hang
	// in the write until the alarm ends, whatever its deadline.
	big := bustest.NewMessage("PriceChanged")
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
	last := bustest.NewMessage("PriceChanged")
	if err := bus.Publish(ctx, last); err != nil {
		t.Fatalf("Publish after the alarm: %v", err)
	}
	testkit.WaitFor(t, "the last event", func() bool { return handled.Has(last.ID) })
}
