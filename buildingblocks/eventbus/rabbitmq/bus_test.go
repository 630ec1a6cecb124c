package rabbitmq_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestRoundTripOfTypedAndDynamicEvent(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	cfg := tb.config("basket")
	bus := tb.bus(cfg)

	// A plain AMQP consumer on its own queue sees the wire format.
	raw := tb.raw()
	rawQueue := tb.prefix + "_raw"
	if err := raw.ExchangeDeclare(tb.exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.QueueDeclare(rawQueue, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueueBind(rawQueue, orderStarted{}.EventName(), tb.exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	rawDeliveries, err := raw.Consume(rawQueue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}

	typed := make(chan orderStarted, 1)
	typedCorrelation := make(chan string, 1)
	if _, err := eventbus.Subscribe(ctx, bus, func(ctx context.Context, e orderStarted) error {
		typedCorrelation <- eventbus.CorrelationID(ctx)
		typed <- e
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	dynamic := make(chan eventbus.Message, 1)
	if _, err := bus.Subscribe(ctx, orderStarted{}.EventName(), func(_ context.Context, m eventbus.Message) error {
		dynamic <- m
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	sent := orderStarted{IntegrationEvent: eventbus.NewIntegrationEvent(), UserID: "alice"}
	msg, err := eventbus.Encode(sent)
	if err != nil {
		t.Fatal(err)
	}
	msg.CorrelationID = "req-42"
	msg.Headers = map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	if err := bus.Publish(ctx, msg); err != nil {
		t.Fatal(err)
	}

	select {
	case got := <-typed:
		if got.ID != sent.ID || got.UserID != "alice" || !got.CreationDate.Equal(sent.CreationDate) {
			t.Errorf("typed handler got %+v, want %+v", got, sent)
		}
		if c := <-typedCorrelation; c != "req-42" {
			t.Errorf("correlation id in handler ctx = %q, want req-42", c)
		}
	case <-ctx.Done():
		t.Fatal("typed handler not called")
	}
	select {
	case got := <-dynamic:
		var body map[string]any
		if err := json.Unmarshal(got.Body, &body); err != nil || body["UserId"] != "alice" || body["Id"] != sent.ID.String() {
			t.Errorf("dynamic handler got body %s (%v)", got.Body, err)
		}
		if got.ID != sent.ID || got.Name != sent.EventName() || got.AppID != cfg.AppID ||
			got.CorrelationID != "req-42" || got.Attempt != 1 ||
			got.Headers["traceparent"] != msg.Headers["traceparent"] ||
			!got.Time.Equal(sent.CreationDate.Truncate(time.Second)) {
			t.Errorf("dynamic handler got %+v", got)
		}
	case <-ctx.Done():
		t.Fatal("dynamic handler not called")
	}

	select {
	case d := <-rawDeliveries:
		checks := []struct {
			what      string
			got, want any
		}{
			{"exchange", d.Exchange, tb.exchange},
			{"routing key", d.RoutingKey, sent.EventName()},
			{"content_type", d.ContentType, "application/json"},
			{"delivery_mode", d.DeliveryMode, amqp.Persistent},
			{"message_id", d.MessageId, sent.ID.String()},
			{"type", d.Type, sent.EventName()},
			{"timestamp", d.Timestamp.Unix(), sent.CreationDate.Unix()},
			{"app_id", d.AppId, cfg.AppID},
			{"x-correlation-id", d.Headers["x-correlation-id"], "req-42"},
			{"traceparent", d.Headers["traceparent"], msg.Headers["traceparent"]},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("AMQP %s = %v, want %v", c.what, c.got, c.want)
			}
		}
	case <-ctx.Done():
		t.Fatal("raw consumer got nothing")
	}
}

func TestEachServiceGetsEveryEvent(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	publisher := tb.bus(tb.config("catalog"))
	basket, ordering := newSeen(), newSeen()
	if _, err := tb.bus(tb.config("basket")).Subscribe(ctx, "PriceChanged", basket.handler); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.bus(tb.config("ordering")).Subscribe(ctx, "PriceChanged", ordering.handler); err != nil {
		t.Fatal(err)
	}

	const n = 200
	for range n {
		if err := publisher.Publish(ctx, message("PriceChanged")); err != nil {
			t.Fatal(err)
		}
	}
	basket.waitDistinct(t, n)
	ordering.waitDistinct(t, n)
	if d := basket.duplicates() + ordering.duplicates(); d != 0 {
		t.Errorf("%d duplicate deliveries, want none", d)
	}
}

func TestInstancesOfOneServiceShareItsEvents(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	publisher := tb.bus(tb.config("catalog"))
	all := newSeen()
	var mu sync.Mutex
	perInstance := map[int]int{}
	for instance := range 2 {
		cfg := tb.config("basket")
		if _, err := tb.bus(cfg).Subscribe(ctx, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
			mu.Lock()
			perInstance[instance]++
			mu.Unlock()
			return all.handler(ctx, m)
		}); err != nil {
			t.Fatal(err)
		}
	}

	const n = 400
	for range n {
		if err := publisher.Publish(ctx, message("PriceChanged")); err != nil {
			t.Fatal(err)
		}
	}
	all.waitDistinct(t, n)
	if d := all.duplicates(); d != 0 {
		t.Errorf("%d events handled twice, want each once", d)
	}
	mu.Lock()
	t.Logf("handled per instance: %v", perInstance)
	mu.Unlock()
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	cfg := tb.config("basket")
	bus := tb.bus(cfg)
	first, second := newSeen(), newSeen()
	subFirst, err := bus.Subscribe(ctx, "PriceChanged", first.handler)
	if err != nil {
		t.Fatal(err)
	}
	subSecond, err := bus.Subscribe(ctx, "PriceChanged", second.handler)
	if err != nil {
		t.Fatal(err)
	}

	m1 := message("PriceChanged")
	if err := bus.Publish(ctx, m1); err != nil {
		t.Fatal(err)
	}
	first.waitDistinct(t, 1)
	second.waitDistinct(t, 1)

	// One of two handlers goes: the other still gets the event.
	if err := subFirst.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	m2 := message("PriceChanged")
	if err := bus.Publish(ctx, m2); err != nil {
		t.Fatal(err)
	}
	second.waitDistinct(t, 2)
	if first.has(m2.ID) {
		t.Error("unsubscribed handler got an event")
	}

	// The last handler goes: the queue is no longer bound to the event, so
	// the broker does not route it anywhere (a mandatory publish comes back).
	if err := subSecond.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if err := subSecond.Unsubscribe(ctx); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
	raw := tb.raw()
	returns := raw.NotifyReturn(make(chan amqp.Return, 1))
	if err := raw.PublishWithContext(ctx, tb.exchange, "PriceChanged", true, false, amqp.Publishing{Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-returns:
		if r.ReplyCode != amqp.NoRoute {
			t.Errorf("publish after the last unsubscribe: returned with %d %s, want NO_ROUTE", r.ReplyCode, r.ReplyText)
		}
	case <-ctx.Done():
		t.Fatal("publish after the last unsubscribe was routed: the queue is still bound")
	}
	if n := queueDepth(t, raw, cfg.Queue); n != 0 {
		t.Errorf("queue holds %d messages, want 0", n)
	}

	// Subscribing again binds again.
	third := newSeen()
	if _, err := bus.Subscribe(ctx, "PriceChanged", third.handler); err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(ctx, message("PriceChanged")); err != nil {
		t.Fatal(err)
	}
	third.waitDistinct(t, 1)
	if second.distinct() != 2 {
		t.Errorf("unsubscribed handler got %d events, want 2", second.distinct())
	}
}

func TestPublishRejectsMessageWithoutName(t *testing.T) {
	tb := newTestBroker(t)
	bus := tb.bus(tb.config("catalog"))
	if err := bus.Publish(within(t), eventbus.Message{ID: uuid.New(), Body: []byte("{}")}); err == nil {
		t.Fatal("Publish of a message without a name succeeded")
	}
}

func TestCheckAndClose(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	bus := tb.bus(tb.config("basket"))
	waitUntil(t, "the bus to connect", func() bool { return bus.Check(ctx) == nil })
	if _, err := bus.Subscribe(ctx, "PriceChanged", newSeen().handler); err != nil {
		t.Fatal(err)
	}
	if err := bus.Check(ctx); err != nil {
		t.Fatalf("Check after Subscribe: %v", err)
	}
	if err := bus.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bus.Check(ctx); err == nil {
		t.Error("Check after Close succeeded")
	}
	if err := bus.Publish(ctx, message("PriceChanged")); !errors.Is(err, eventbus.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := bus.Subscribe(ctx, "Other", newSeen().handler); !errors.Is(err, eventbus.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

func TestEventsQueuedBeforeTheirHandlerSubscribesWaitForIt(t *testing.T) {
	tb := newTestBroker(t)
	ctx := within(t)
	cfg := tb.config("ordering")

	// An earlier run of the service bound both events and went away; its
	// queue collected events of both names meanwhile.
	earlier := tb.bus(cfg)
	for _, name := range []string{"OrderStarted", "OrderPaid"} {
		if _, err := earlier.Subscribe(ctx, name, newSeen().handler); err != nil {
			t.Fatal(err)
		}
	}
	if err := earlier.Close(ctx); err != nil {
		t.Fatal(err)
	}
	publisher := tb.bus(tb.config("catalog"))
	for range 20 {
		for _, name := range []string{"OrderStarted", "OrderPaid"} {
			if err := publisher.Publish(ctx, message(name)); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The new run subscribes its handlers one after the other: deliveries
	// of the second name start before its handler is there.
	started, paid := newSeen(), newSeen()
	bus := tb.bus(cfg)
	if _, err := bus.Subscribe(ctx, "OrderStarted", started.handler); err != nil {
		t.Fatal(err)
	}
	started.waitDistinct(t, 20)
	if _, err := bus.Subscribe(ctx, "OrderPaid", paid.handler); err != nil {
		t.Fatal(err)
	}
	paid.waitDistinct(t, 20)
	wantNoDeadLetters(t, ctx, cfg)
}
