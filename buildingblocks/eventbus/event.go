package eventbus

import (
	"time"

	"github.com/google/uuid"
)

// Event is an integration event: a struct that embeds [IntegrationEvent] and
// names itself. The name is the routing key and the AMQP type of the message,
// e.g. "ProductPriceChangedIntegrationEvent".
//
// EventName must be declared on the value (not the pointer) receiver, so that
// the zero value of the type can tell its name to [Subscribe].
type Event interface {
	EventName() string
	EventID() uuid.UUID
	EventTime() time.Time
}

// IntegrationEvent carries the fields every integration event has on the wire:
// its identity and when it was created. Embed it in each event struct.
type IntegrationEvent struct {
	ID           uuid.UUID `json:"Id"`
	CreationDate time.Time `json:"CreationDate"`
}

// NewIntegrationEvent returns an IntegrationEvent with a fresh random id and
// the current time in UTC.
func NewIntegrationEvent() IntegrationEvent {
	return IntegrationEvent{ID: uuid.New(), CreationDate: time.Now().UTC()}
}

// EventID returns the event's id. Consumers use it to detect duplicates.
func (e IntegrationEvent) EventID() uuid.UUID { return e.ID }

// EventTime returns when the event was created.
func (e IntegrationEvent) EventTime() time.Time { return e.CreationDate }
