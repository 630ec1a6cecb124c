package rabbitmq

import (
	"errors"
	"maps"
	"reflect"
	"slices"
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
	// headerEventName is the event a message that the bus sends on (to
	// wait, to be parked, replayed) stands for: the name the broker routed
	// when it first arrived.
	headerEventName = "x-event-name"
	// headerPublishedBy is the broker user that published a message the
	// bus sends on: its AMQP user_id, which the copy cannot keep (the
	// broker checks user_id against the user that sends it).
	headerPublishedBy = "x-published-by"
	// headerDeliveryCount is set by a quorum queue on a redelivery: how
	// often the message was delivered before and came back (nack with
	// requeue, or a channel that closed with it unacknowledged).
	headerDeliveryCount = "x-delivery-count"
)

// busHeaders are the headers only the bus writes, on what it sends on
// through the queue's requeue exchange; a publisher's message that
// carries one is forged (see arrive).
var busHeaders = []string{
	headerAttempt, headerLastError, headerPark, headerParkedReason, headerParkedAt,
	headerEventName, headerPublishedBy,
}

var errNoEventName = errors.New("rabbitmq: message has no event name")

// publishing maps a message to the AMQP properties of the wire contract,
// with user, the broker user the message is sent as, in user_id: the
// broker refuses any other, so the consumer can trust it.
func publishing(m eventbus.Message, appID, user string) amqp.Publishing {
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
		UserId:       user,
		Headers:      headers,
		Body:         m.Body,
	}
}

// message maps a delivery of the event name back to a message.
func message(d amqp.Delivery, name string) eventbus.Message {
	m := eventbus.Message{
		Name:  name,
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

// republishing is the publishing that sends d, which stands for the event
// name, on: the same message, with the headers in set, its event name and
// its publisher, and its other headers except the bookkeeping of the
// broker (x-death, x-first-death-*, x-delivery-count) and of the bus. Its
// user_id moves to a header: the copy is sent as the service's own user.
func republishing(d amqp.Delivery, name string, set amqp.Table) amqp.Publishing {
	headers := amqp.Table{}
	for k, v := range d.Headers {
		switch {
		case k == "x-death", strings.HasPrefix(k, "x-first-death-"), strings.HasPrefix(k, "x-last-death-"),
			k == headerDeliveryCount, slices.Contains(busHeaders, k):
		default:
			headers[k] = v
		}
	}
	headers[headerEventName] = name
	if by := publishedBy(d); by != "" {
		headers[headerPublishedBy] = by
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
		AppId:           d.AppId,
		Body:            d.Body,
	}
}

// publishedBy is the broker user that published d: its user_id, or, on a
// copy the bus sent on, the header that keeps it.
func publishedBy(d amqp.Delivery) string {
	if d.UserId != "" {
		return d.UserId
	}
	return stringHeader(d, headerPublishedBy)
}

// deliveryCount is how often the queue delivered d before (0 on the first
// delivery). Only a redelivery's count is the broker's: on a first
// delivery the header, if any, is the publisher's.
func deliveryCount(d amqp.Delivery) int {
	if !d.Redelivered {
		return 0
	}
	return intHeader(d, headerDeliveryCount)
}

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
