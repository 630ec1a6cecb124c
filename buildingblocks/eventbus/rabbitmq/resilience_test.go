package rabbitmq_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestPublishWaitsForTheBrokerDuringAnOutage(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("catalog")
	bus := tb.bus(cfg)
	handled := bustest.NewSeen()
	bustest.Subscribe(t, ctx, tb.bus(tb.config("basket")), "PriceChanged", handled.Handle)
	bustest.PublishN(t, ctx, bus, "PriceChanged", 1)

	proxy.Cut()
	testkit.WaitFor(t, "Check to see the outage", func() bool { return bus.Check(ctx) != nil })

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := bus.Publish(short, bustest.NewMessage("PriceChanged"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish during the outage with a short deadline = %v, want DeadlineExceeded", err)
	}

	waiting := bustest.NewMessage("PriceChanged")
	result := make(chan error, 1)
	go func() { result <- bus.Publish(ctx, waiting) }()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-result:
		t.Fatalf("Publish returned during the outage: %v", err)
	default:
	}

	proxy.Restore()
	if err := <-result; err != nil {
		t.Fatalf("Publish after the broker came back: %v", err)
	}
	testkit.WaitFor(t, "the event published during the outage", func() bool { return handled.Has(waiting.ID) })
	if err := bus.Check(ctx); err != nil {
		t.Errorf("Check after the outage: %v", err)
	}
}

func TestNewAndSubscribeWhileTheBrokerIsDown(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("basket")
	proxy.Cut()
	bus := tb.bus(cfg)
	if err := bus.Check(ctx); err == nil {
		t.Fatal("Check succeeded without a broker")
	}

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := bus.Subscribe(short, eventbus.Route{EventName: "PriceChanged", Publisher: testPublisher, Handler: bustest.NewSeen().Handle})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Subscribe without a broker and a short deadline = %v, want DeadlineExceeded", err)
	}

	proxy.Restore()
	handled := bustest.NewSeen()
	bustest.Subscribe(t, ctx, bus, "PriceChanged", handled.Handle)
	m := bustest.NewMessage("PriceChanged")
	if err := bus.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	handled.WaitDistinct(t, 1)
	testkit.WaitFor(t, "Check to succeed", func() bool { return bus.Check(ctx) == nil })
}

func TestConsumerResumesAfterItsConnectionDrops(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("basket")
	consumer := tb.bus(cfg)
	handled := bustest.NewSeen()
	bustest.Subscribe(t, ctx, consumer, "PriceChanged", handled.Handle)
	publisher := tb.bus(tb.config("catalog"))
	bustest.PublishN(t, ctx, publisher, "PriceChanged", 1)
	handled.WaitDistinct(t, 1)

	// Events published while the consumer is away wait in its queue.
	proxy.Cut()
	bustest.PublishN(t, ctx, publisher, "PriceChanged", 10)
	proxy.Restore()
	handled.WaitDistinct(t, 11)
}

// A batch goes out in order, and a batch whose connection is dropped
// half-way is sent on from its first unconfirmed message after the
// reconnect: every message arrives, and the first copies arrive in order.
func TestPublishBatchKeepsOrderAcrossALostConnection(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("catalog")
	bus := tb.bus(cfg)

	raw := testkit.Channel(t, "")
	queue := tb.prefix + "_observer"
	if err := raw.ExchangeDeclare(tb.exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.QueueDeclare(queue, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueueBind(queue, "Batched", tb.exchange, false, nil); err != nil {
		t.Fatal(err)
	}

	batch := func(n int) []eventbus.Message {
		msgs := make([]eventbus.Message, n)
		for i := range msgs {
			msgs[i] = bustest.NewMessage("Batched")
		}
		return msgs
	}
	first, second := batch(1000), batch(20000)
	if err := bus.PublishBatch(ctx, first); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- bus.PublishBatch(ctx, second) }()
	// Drop the connection once part of the second batch has arrived.
	testkit.WaitFor(t, "part of the second batch to arrive", func() bool { return testkit.QueueLength(t, queue) > len(first)+100 })
	proxy.Drop()
	dropped := testkit.QueueLength(t, queue) - len(first)
	if err := <-done; err != nil {
		t.Fatalf("PublishBatch across the dropped connection: %v", err)
	}
	if dropped >= len(second) {
		t.Fatalf("the whole second batch had arrived before the drop; the test proves nothing")
	}
	t.Logf("connection dropped after about %d of %d messages of the second batch", dropped, len(second))

	want := append(first, second...)
	deliveries, err := raw.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	seenAt := map[uuid.UUID]bool{}
	var order []uuid.UUID
	copies := 0
	for len(order) < len(want) {
		select {
		case d := <-deliveries:
			copies++
			id, err := uuid.Parse(d.MessageId)
			if err != nil {
				t.Fatalf("message id %q: %v", d.MessageId, err)
			}
			if !seenAt[id] {
				seenAt[id] = true
				order = append(order, id)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d messages arrived", len(order), len(want))
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	for i, m := range want {
		if order[i] != m.ID {
			t.Fatalf("first copies out of order at %d: got %s, want %s", i, order[i], m.ID)
		}
	}
	t.Logf("%d messages, %d copies (%d sent again after the drop)", len(want), copies, copies-len(want))
}
