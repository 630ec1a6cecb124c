package shop

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// StatusEvents are the events ordering publishes on each status change.
var StatusEvents = []string{
	"OrderStatusChangedToSubmittedIntegrationEvent",
	"OrderStatusChangedToAwaitingValidationIntegrationEvent",
	"OrderStatusChangedToStockConfirmedIntegrationEvent",
	"OrderStatusChangedToPaidIntegrationEvent",
	"OrderStatusChangedToShippedIntegrationEvent",
	"OrderStatusChangedToCancelledIntegrationEvent",
}

// StatusWatcher listens to ordering's status events on the bus, as any
// other consumer would, through a queue of its own that the broker deletes
// when the watcher goes. The statuses pass too fast for an HTTP poll to see
// them all; the events show every one.
type StatusWatcher struct {
	conn *amqp.Connection

	mu     sync.Mutex
	seen   map[string]bool    // event ids, to drop a redelivered copy
	orders map[int64][]string // statuses in the order their events arrived
}

// WatchOrderStatuses binds a private queue to the status events on
// exchange. It declares nothing else, so a user that may only read (the
// events user of deploy/rabbitmq/definitions.json) will do; it waits up to
// a minute for the services to declare the exchange.
func WatchOrderStatuses(amqpURL, exchange string) (*StatusWatcher, error) {
	conn, err := amqp.DialConfig(amqpURL, amqp.Config{Properties: amqp.Table{"connection_name": "eshop-demo-watcher"}})
	if err != nil {
		return nil, fmt.Errorf("watch order statuses: %w", err)
	}
	w := &StatusWatcher{conn: conn, seen: map[string]bool{}, orders: map[int64][]string{}}
	fail := func(err error) (*StatusWatcher, error) {
		conn.Close()
		return nil, fmt.Errorf("watch order statuses: %w", err)
	}
	// A passive declaration that fails closes the channel: one per try.
	var ch *amqp.Channel
	for deadline := time.Now().Add(time.Minute); ; {
		if ch, err = conn.Channel(); err != nil {
			return fail(err)
		}
		err = ch.ExchangeDeclarePassive(exchange, "topic", true, false, false, false, nil)
		var amqpErr *amqp.Error
		if err == nil || !errors.As(err, &amqpErr) || amqpErr.Code != amqp.NotFound || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		return fail(fmt.Errorf("exchange %s: %w", exchange, err))
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err == nil {
		for _, name := range StatusEvents {
			if err = ch.QueueBind(q.Name, name, exchange, false, nil); err != nil {
				break
			}
		}
	}
	var deliveries <-chan amqp.Delivery
	if err == nil {
		deliveries, err = ch.Consume(q.Name, "", true, true, false, false, nil)
	}
	if err != nil {
		return fail(err)
	}
	go w.record(deliveries)
	return w, nil
}

func (w *StatusWatcher) record(deliveries <-chan amqp.Delivery) {
	for d := range deliveries {
		var e struct {
			ID          string `json:"Id"`
			OrderID     int64  `json:"OrderId"`
			OrderStatus string `json:"OrderStatus"`
		}
		if json.Unmarshal(d.Body, &e) != nil {
			continue
		}
		w.mu.Lock()
		if !w.seen[e.ID] {
			w.seen[e.ID] = true
			w.orders[e.OrderID] = append(w.orders[e.OrderID], e.OrderStatus)
		}
		w.mu.Unlock()
	}
}

// Statuses returns the statuses whose events arrived for an order, in the
// order they arrived, each once.
func (w *StatusWatcher) Statuses(order int64) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.orders[order]...)
}

// Close stops watching; the broker deletes the queue.
func (w *StatusWatcher) Close() error { return w.conn.Close() }
