package rabbitmq

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Header names of the wire contract, of the consumer's retries and of the
// broker.
const (
	headerCorrelationID = "x-correlation-id"
	// headerAttempt is how many attempts to handle the message failed; set
	// on a message sent to the wait queue or parked.
	headerAttempt = "x-attempt"
	// headerLastError is why the last attempt failed, or why the message
	// was parked.
	headerLastError = "x-last-error"
	// headerPark marks a copy that the consumer rejects at once, so that
	// the queue dead-letters it.
	headerPark = "x-park"
	// headerParkedReason is the kind of reason a message was parked for: a
	// ParkReason.
	headerParkedReason = "x-parked-reason"
	// headerParkedAt is when the consumer parked the message, RFC 3339 in
	// UTC.
	headerParkedAt = "x-parked-at"
	// headerDeliveryCount is set by a quorum queue on every delivery: how
	// often the message was delivered before and came back (nack with
	// requeue, or a channel that closed with it unacknowledged).
	headerDeliveryCount = "x-delivery-count"
)

var errNoEventName = errors.New("rabbitmq: message has no event name")

// publishing maps a message to the AMQP properties of the wire contract.
func publishing(m eventbus.Message, appID string) amqp.Publishing {
	if m.AppID != "" {
		appID = m.AppID
	}
	ts := m.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	var headers amqp.Table
	if len(m.Headers) > 0 || m.CorrelationID != "" {
		headers = make(amqp.Table, len(m.Headers)+1)
		for k, v := range m.Headers {
			headers[k] = v
		}
		if m.CorrelationID != "" {
			headers[headerCorrelationID] = m.CorrelationID
		}
	}
	return amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    m.ID.String(),
		Type:         m.Name,
		Timestamp:    ts.UTC(),
		AppId:        appID,
		Headers:      headers,
		Body:         m.Body,
	}
}

// message maps a delivery back to a message. The event name is the AMQP type;
// the routing key only stands in for it when the type is missing, because a
// replayed dead letter arrives with the queue's name as routing key.
func message(d amqp.Delivery) eventbus.Message {
	m := eventbus.Message{
		Name:  eventName(d),
		Body:  d.Body,
		AppID: d.AppId,
	}
	if id, err := uuid.Parse(d.MessageId); err == nil {
		m.ID = id
	}
	if !d.Timestamp.IsZero() {
		m.Time = d.Timestamp.UTC()
	}
	for k, v := range d.Headers {
		s, ok := v.(string)
		switch {
		case !ok:
			// x-death, x-delivery-count and other broker bookkeeping.
		case k == headerCorrelationID:
			m.CorrelationID = s
		default:
			if m.Headers == nil {
				m.Headers = make(map[string]string)
			}
			m.Headers[k] = s
		}
	}
	return m
}

// eventName is the AMQP type of d, or its routing key without a type.
func eventName(d amqp.Delivery) string {
	if d.Type != "" {
		return d.Type
	}
	return d.RoutingKey
}

// republishing is the publishing that sends d on: the same message, with
// the headers in set, and its other headers except the bookkeeping of the
// broker (x-death, x-first-death-*, x-delivery-count) and of the consumer.
func republishing(d amqp.Delivery, set amqp.Table) amqp.Publishing {
	headers := amqp.Table{}
	for k, v := range d.Headers {
		switch {
		case k == "x-death", strings.HasPrefix(k, "x-first-death-"), strings.HasPrefix(k, "x-last-death-"),
			k == headerDeliveryCount, k == headerAttempt, k == headerLastError, k == headerPark,
			k == headerParkedReason, k == headerParkedAt:
		default:
			headers[k] = v
		}
	}
	maps.Copy(headers, set)
	return amqp.Publishing{
		Headers:         headers,
		ContentType:     d.ContentType,
		ContentEncoding: d.ContentEncoding,
		DeliveryMode:    amqp.Persistent,
		Priority:        d.Priority,
		CorrelationId:   d.CorrelationId,
		ReplyTo:         d.ReplyTo,
		MessageId:       d.MessageId,
		Timestamp:       d.Timestamp,
		Type:            d.Type,
		UserId:          d.UserId,
		AppId:           d.AppId,
		Body:            d.Body,
	}
}

// deliveryCount is how often the queue delivered d before (0 on the first
// delivery).
func deliveryCount(d amqp.Delivery) int { return intHeader(d, headerDeliveryCount) }

// failedAttempts is how many attempts to handle d failed before.
func failedAttempts(d amqp.Delivery) int { return intHeader(d, headerAttempt) }

// toBeParked reports whether d is a copy that park marked for the
// dead-letter queue.
func toBeParked(d amqp.Delivery) bool {
	park, _ := d.Headers[headerPark].(bool)
	return park
}

func stringHeader(d amqp.Delivery, name string) string {
	s, _ := d.Headers[name].(string)
	return s
}

// intHeader is the header name as an int, whichever integer type the
// broker or the client encoded it as; 0 when it is missing or no integer.
func intHeader(d amqp.Delivery, name string) int {
	switch v := reflect.ValueOf(d.Headers[name]); {
	case v.CanInt():
		return int(v.Int())
	case v.CanUint():
		return int(v.Uint())
	}
	return 0
}
