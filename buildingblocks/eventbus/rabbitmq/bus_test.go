package rabbitmq_test

import (
	"errors"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// What a bus publishes is the wire contract's AMQP message (docs/events.md,
// "Transport (RabbitMQ, AMQP 0-9-1)"), as a plain AMQP consumer sees it.
// (The conformance suite's TypedAndDynamicHandlers tests what the bus's
// handlers get.)
func TestThePublishedMessageIsTheWireContracts(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	bus := tb.bus(cfg)
	rawDeliveries := testkit.ObserveEvents(t, tb.exchange, tb.prefix, "raw", orderStarted{}.EventName())

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
	bustest.Subscribe(t, ctx, bus, "PriceChanged", bustest.NewSeen().Handle)
	if err := bus.Check(ctx); err != nil {
		t.Fatalf("Check after Subscribe: %v", err)
	}
	if err := bus.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bus.Check(ctx); err == nil {
		t.Error("Check after Close succeeded")
	}
	if err := bus.Publish(ctx, bustest.NewMessage("PriceChanged")); !errors.Is(err, eventbus.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: "Other", Publisher: testPublisher, Handler: bustest.NewSeen().Handle}); !errors.Is(err, eventbus.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}
