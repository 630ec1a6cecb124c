package service_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// BenchmarkSagaToPaid measures the whole saga through the real service and
// broker: 200 checkouts published at once, each answered by a stand-in for
// catalog (stock confirmed) and payment (succeeded) as soon as ordering
// asks, until every order is Paid. The grace period is 0 (the worker polls
// every 100ms), so the figure is the saga's throughput, not the wait.
func BenchmarkSagaToPaid(b *testing.B) {
	const orders = 200
	s := startOrdering(b, map[string]string{"GRACE_PERIOD": "0s"}, io.Discard)
	exchange, prefix := s.Exchange, s.Prefix
	w := newWire(b, exchange, prefix) // for publishing

	conn, err := amqp.Dial(testkit.RabbitURL())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		b.Fatal(err)
	}
	queue := prefix + "_standins"
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{
		"OrderStatusChangedToAwaitingValidationIntegrationEvent",
		"OrderStatusChangedToStockConfirmedIntegrationEvent",
		"OrderStatusChangedToPaidIntegrationEvent",
	} {
		if err := ch.QueueBind(queue, name, exchange, false, nil); err != nil {
			b.Fatal(err)
		}
	}
	deliveries, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	answer := func(name, appID string, order any) {
		body, _ := json.Marshal(map[string]any{"Id": uuid.New(), "CreationDate": time.Now().UTC(), "OrderId": order})
		id := uuid.NewString()
		if err := ch.PublishWithContext(context.Background(), exchange, name, false, false, amqp.Publishing{
			ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: id, Type: name, AppId: appID, Body: body,
			UserId: testkit.RabbitUser(),
		}); err != nil {
			b.Error(err)
		}
	}

	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		for range orders {
			w.publish("UserCheckoutAcceptedIntegrationEvent", "basket", uuid.New(), checkout("buyer-"+uuid.NewString()[:8], uuid.New()))
		}
		paid := 0
		timeout := time.After(2 * time.Minute)
		for paid < orders {
			select {
			case d := <-deliveries:
				var body map[string]any
				_ = json.Unmarshal(d.Body, &body)
				switch d.Type {
				case "OrderStatusChangedToAwaitingValidationIntegrationEvent":
					answer("OrderStockConfirmedIntegrationEvent", "catalog", body["OrderId"])
				case "OrderStatusChangedToStockConfirmedIntegrationEvent":
					answer("OrderPaymentSucceededIntegrationEvent", "payment", body["OrderId"])
				case "OrderStatusChangedToPaidIntegrationEvent":
					paid++
				}
			case <-timeout:
				b.Fatalf("%d of %d orders paid when the benchmark gave up", paid, orders)
			}
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(orders*b.N)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(0, "ns/op")
}
