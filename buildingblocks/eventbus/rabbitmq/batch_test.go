package rabbitmq_test

import (
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// A batch goes out in order, and a batch whose connection is dropped
// half-way is sent on from its first unconfirmed message after the
// reconnect: every message arrives, and the first copies arrive in order.
func TestPublishBatchKeepsOrderAcrossALostConnection(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	proxy := testkit.NewProxy(t, brokerAddr(t))
	cfg := tb.config("catalog")
	cfg.URL = proxy.URL(cfg.URL)
	bus := tb.bus(cfg)

	raw := tb.raw()
	queue := tb.prefix + "_observer"
	if err := raw.ExchangeDeclare(tb.exchange, "topic", true, false, false, false, nil); err != nil {
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
			msgs[i] = message("Batched")
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
	waitUntil(t, "part of the second batch to arrive", func() bool { return queueDepth(t, raw, queue) > len(first)+100 })
	proxy.Drop()
	dropped := queueDepth(t, raw, queue) - len(first)
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
