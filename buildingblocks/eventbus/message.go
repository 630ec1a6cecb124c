package eventbus

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Message is an event on the wire: the JSON body and the envelope the
// transport carries around it. Transports map the fields to their own
// properties (for AMQP: message_id, type, timestamp, app_id, headers).
type Message struct {
	// ID is the event's id, also present as "Id" in Body.
	ID uuid.UUID
	// Name is the event name: the routing key.
	Name string
	// Time is when the event was created.
	Time time.Time
	// Body is the JSON object of the event.
	Body []byte
	// AppID names the publishing service. A transport fills it in from its
	// own configuration when it is empty.
	AppID string
	// CorrelationID ties the message to the request or event that caused it.
	CorrelationID string
	// Headers are extra string headers, e.g. W3C traceparent and tracestate.
	Headers map[string]string
	// Attempt is set on delivery: 1 for the first attempt to handle the
	// message, one more after each attempt that failed. (A redelivery of a
	// message that was never handled, e.g. after a lost connection, is not
	// a new attempt.) Publishers leave it zero.
	Attempt int
}

// Encode marshals an event into a Message. The message's correlation id is
// left empty; [Publish] fills it from the context.
func Encode(e Event) (Message, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return Message{}, fmt.Errorf("encode %s: %w", e.EventName(), err)
	}
	return Message{ID: e.EventID(), Name: e.EventName(), Time: e.EventTime(), Body: body}, nil
}

// Decode unmarshals a message body into an event struct. It is lenient, as
// the wire contract asks: unknown fields are ignored and field names match
// case-insensitively (encoding/json's rules). A body that does not decode,
// or whose Id is missing or the nil UUID, is an [ErrInvalidEvent]: without
// an id the inbox cannot tell one event from another, and would drop every
// event after the first as a duplicate.
func Decode[E Event](m Message) (E, error) {
	var e E
	if err := json.Unmarshal(m.Body, &e); err != nil {
		return e, fmt.Errorf("%w: decode %s %s: %w", ErrInvalidEvent, m.Name, m.ID, err)
	}
	if e.EventID() == uuid.Nil {
		return e, fmt.Errorf("%w: %s %s has no Id", ErrInvalidEvent, m.Name, m.ID)
	}
	return e, nil
}
