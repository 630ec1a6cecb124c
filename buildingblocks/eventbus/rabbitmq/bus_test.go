package rabbitmq_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestRoundTripOfTypedAndDynamicEvent(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	bus := tb.bus(cfg)

	// A plain AMQP consumer on its own queue sees the wire format.
	rawDeliveries := testkit.ObserveEvents(t, tb.exchange, tb.prefix, "raw", orderStarted{}.EventName())

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
	subscribe(t, ctx, bus, orderStarted{}.EventName(), func(_ context.Context, m eventbus.Message) error {
		dynamic <- m
		return nil
	})

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
	tb, ctx := newTestBroker(t)
	publisher := tb.bus(tb.config("catalog"))
	basket, ordering := newSeen(), newSeen()
	subscribe(t, ctx, tb.bus(tb.config("basket")), "PriceChanged", basket.handler)
	subscribe(t, ctx, tb.bus(tb.config("ordering")), "PriceChanged", ordering.handler)

	const n = 200
	publish(t, ctx, publisher, "PriceChanged", n)
	basket.waitDistinct(t, n)
	ordering.waitDistinct(t, n)
	if d := basket.duplicates() + ordering.duplicates(); d != 0 {
		t.Errorf("%d duplicate deliveries, want none", d)
	}
}

func TestInstancesOfOneServiceShareItsEvents(t *testing.T) {
	tb, ctx := newTestBroker(t)
	publisher := tb.bus(tb.config("catalog"))
	all := newSeen()
	var mu sync.Mutex
	perInstance := map[int]int{}
	for instance := range 2 {
		cfg := tb.config("basket")
		subscribe(t, ctx, tb.bus(cfg), "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
			mu.Lock()
			perInstance[instance]++
			mu.Unlock()
			return all.handler(ctx, m)
		})
	}

	const n = 400
	publish(t, ctx, publisher, "PriceChanged", n)
	all.waitDistinct(t, n)
	if d := all.duplicates(); d != 0 {
		t.Errorf("%d events handled twice, want each once", d)
	}
	mu.Lock()
	t.Logf("handled per instance: %v", perInstance)
	mu.Unlock()
}

func TestPublishRejectsMessageWithoutName(t *testing.T) {
	tb, ctx := newTestBroker(t)
	bus := tb.bus(tb.config("catalog"))
	if err := bus.Publish(ctx, eventbus.Message{ID: uuid.New(), Body: []byte("{}")}); err == nil {
		t.Fatal("Publish of a message without a name succeeded")
	}
}

func TestCheckAndClose(t *testing.T) {
	tb, ctx := newTestBroker(t)
	bus := tb.bus(tb.config("basket"))
	testkit.WaitFor(t, "the bus to connect", func() bool { return bus.Check(ctx) == nil })
	subscribe(t, ctx, bus, "PriceChanged", newSeen().handler)
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
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: "Other", Publisher: testPublisher, Handler: newSeen().handler}); !errors.Is(err, eventbus.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}
