package rabbitmq_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestMessageDeliveredTooOftenIsParkedWithoutRunningTheHandler(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("catalog")
	cfg.MaxAttempts = 3

	// The queue exists (a subscriber declared it) and holds a message that
	// was delivered CrashLoopDeliveries times to consumers that died before
	// they acknowledged it, like a message that crashes its service each
	// time.
	tb.declare(ctx, cfg, "OrderPaid")
	deadly := bustest.NewMessage("OrderPaid")
	tb.rawPublish(ctx, deadly.Name, amqp.Publishing{
		Type: deadly.Name, MessageId: deadly.ID.String(), Body: deadly.Body, DeliveryMode: amqp.Persistent,
		UserId: testkit.RabbitUser(),
	})
	for range rabbitmq.CrashLoopDeliveries {
		conn, err := amqp.Dial(cfg.URL)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, "the message", func() bool {
			_, ok, err := ch.Get(cfg.Queue, false)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		})
		conn.Close()
	}

	var calls atomic.Int32
	bustest.Subscribe(t, ctx, tb.bus(cfg), "OrderPaid", func(context.Context, eventbus.Message) error {
		calls.Add(1)
		return nil
	})
	parked := waitParked(t, ctx, cfg, 1)
	if len(parked) != 1 || parked[0].ID != deadly.ID {
		t.Fatalf("parked %+v, want the message", parked)
	}
	if p := parked[0]; p.Reason != rabbitmq.ReasonCrashLoop || !strings.Contains(p.LastError, "delivered") || p.ParkedAt.IsZero() {
		t.Errorf("parked with reason %q, last error %q, at %v; want crash-loop, the deliveries, a time", p.Reason, p.LastError, p.ParkedAt)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handler ran %d times, want 0", n)
	}
}

func TestDeadLetterFunctionsNeedTheQueue(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("nobody")
	if _, err := rabbitmq.ListDeadLetters(ctx, cfg); err == nil {
		t.Error("ListDeadLetters of a queue that does not exist succeeded")
	}
	if _, err := rabbitmq.ReplayDeadLetters(ctx, cfg, rabbitmq.Replay{}); err == nil {
		t.Error("ReplayDeadLetters of a queue that does not exist succeeded")
	}
	cfg.Queue = ""
	if _, err := rabbitmq.ListDeadLetters(ctx, cfg); err == nil {
		t.Error("ListDeadLetters without a queue succeeded")
	}
}

// Listing puts the messages back, and they are there again when it
// returns: listing right after listing finds them every time. (The broker
// puts them back asynchronously; before ListDeadLetters waited for that,
// about one listing in 300 here came back empty.)
func TestListingRightAfterListingFindsTheMessagesEveryTime(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("ordering")
	cfg.MaxAttempts = 1
	bus := tb.bus(cfg)
	bustest.Subscribe(t, ctx, bus, "Poison", func(context.Context, eventbus.Message) error { return errors.New("no") })
	bustest.PublishN(t, ctx, bus, "Poison", 1)
	waitParked(t, ctx, cfg, 1)
	misses := 0
	for range 300 {
		p, err := rabbitmq.ListDeadLetters(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != 1 {
			misses++
		}
	}
	if misses > 0 {
		t.Fatalf("%d of 300 listings found no message, want the parked one every time", misses)
	}
}
