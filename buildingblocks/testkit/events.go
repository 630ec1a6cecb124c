package testkit

import (
	"context"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// EventMessage is an integration event as another service's event bus puts
// it on the wire (the contract every service keeps), built by hand so that a
// test does not depend on the receiving service's own types: a persistent
// JSON message whose type is the event's name, whose message id is the
// event's id, whose app id names the sending service and whose user_id is
// the test broker's user ([RabbitUser]), which sends it.
func EventMessage(name, id, appID string, body []byte) amqp.Publishing {
	return amqp.Publishing{
		UserId:       RabbitUser(),
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    id,
		Type:         name,
		Timestamp:    time.Now().UTC(),
		AppId:        appID,
		Body:         body,
	}
}

// PublishEvent publishes msg (see [EventMessage]) to exchange with its type
// as the routing key, on a connection of its own, as [RabbitUser], and
// waits for the broker's confirm; a message that is not confirmed fails
// the test.
func PublishEvent(t testing.TB, exchange string, msg amqp.Publishing) {
	t.Helper()
	ch, close := dial(t, "")
	defer close()
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, msg.Type, true, false, msg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := confirm.WaitContext(ctx); err != nil || !ok {
		t.Fatalf("publish %s: confirmed %v, %v", msg.Type, ok, err)
	}
}

// BindTestQueue declares exchange as the services declare it (durable,
// topic), declares the durable queue prefix_role and binds it to each
// event name, and returns the queue's name. prefix must be the one
// [Broker] gave the test, so that the queue is deleted when the test ends.
func BindTestQueue(t testing.TB, ch *amqp.Channel, exchange, prefix, role string, events ...string) string {
	t.Helper()
	if err := ch.ExchangeDeclare(exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	queue := prefix + "_" + role
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range events {
		if err := ch.QueueBind(queue, name, exchange, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	return queue
}

// ObserveEvents binds a queue of the test to exchange for the event names
// (see [BindTestQueue]) and returns its deliveries, acknowledged as they
// are delivered, until the test ends. It sees the messages as a consuming
// service would, without that service's code.
func ObserveEvents(t testing.TB, exchange, prefix, role string, events ...string) <-chan amqp.Delivery {
	t.Helper()
	ch := Channel(t, prefix+"-"+role)
	queue := BindTestQueue(t, ch, exchange, prefix, role, events...)
	deliveries, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return deliveries
}
