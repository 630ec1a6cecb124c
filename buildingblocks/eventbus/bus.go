package eventbus

import (
	"context"
	"errors"
	"fmt"
)

// ErrClosed is returned by a Bus that has been closed.
var ErrClosed = errors.New("eventbus: closed")

// ErrInvalidEvent marks the error of a handler for an event that can never
// be handled, one that fails validation (docs/events.md, "Validating what
// arrives"): the transport parks it in the dead-letter queue at once, with
// the error as the reason, instead of retrying it. Wrap it with the
// reason: fmt.Errorf("%w: price %s has more than 2 decimals",
// eventbus.ErrInvalidEvent, p).
var ErrInvalidEvent = errors.New("eventbus: invalid event")

// Invalid returns why e is invalid as a handler's error: it names the
// event and wraps both ErrInvalidEvent (so the transport parks it at once)
// and err.
func Invalid(e Event, err error) error {
	return fmt.Errorf("%w: %s %s: %w", ErrInvalidEvent, e.EventName(), e.EventID(), err)
}

// Handler handles one delivered message. Returning nil acknowledges it;
// returning an error makes the transport retry it (and, after the configured
// number of attempts, park it in the dead-letter queue), unless the error
// is an [ErrInvalidEvent]: that parks it at once.
type Handler func(ctx context.Context, m Message) error

// Publisher publishes messages. Publish returns nil only once the transport
// has taken responsibility for the message (for RabbitMQ: the broker
// confirmed it).
type Publisher interface {
	Publish(ctx context.Context, m Message) error
}

// Subscriber registers handlers for event names. Several handlers may be
// subscribed to one name; each receives every message of that name.
type Subscriber interface {
	Subscribe(ctx context.Context, r Route) (Subscription, error)
}

// Subscription is one handler's registration. Unsubscribe stops delivery to
// that handler; when the last handler of an event name goes, the service
// stops receiving that event altogether.
type Subscription interface {
	Unsubscribe(ctx context.Context) error
}

// Bus is an event bus: a Publisher and a Subscriber that can be closed.
// Close stops taking deliveries, waits for running handlers (bounded by ctx)
// and releases the transport.
type Bus interface {
	Publisher
	Subscriber
	Close(ctx context.Context) error
}

// Publish encodes an event and publishes it, with the correlation id of ctx.
func Publish(ctx context.Context, p Publisher, e Event) error {
	m, err := Encode(e)
	if err != nil {
		return err
	}
	m.CorrelationID = CorrelationID(ctx)
	return p.Publish(ctx, m)
}

// Subscribe subscribes a typed handler (see [On]).
func Subscribe[E Consumed](ctx context.Context, s Subscriber, h func(ctx context.Context, e E) error) (Subscription, error) {
	return s.Subscribe(ctx, On(h))
}

// A Route is a handler, the event name it handles and the service that
// publishes that event: what a service lists for each event it consumes,
// and subscribes when it starts.
type Route struct {
	EventName string
	// Publisher is the service that publishes the event (the events
	// table). A transport that knows who sent a message parks one from
	// anyone else as forged; a transport refuses a route without it.
	Publisher string
	Handler   Handler
}

// Consumed is an event a service consumes: besides its name it names the
// service that publishes it, as the events table says.
type Consumed interface {
	Event
	Publisher() string
}

// On routes a typed handler: the event name and its publisher come from
// E, and the handler receives the decoded struct. A body that [Decode]
// refuses (not JSON of the event's shape, no Id) is an [ErrInvalidEvent]:
// it is parked at once.
func On[E Consumed](h func(ctx context.Context, e E) error) Route {
	var zero E
	return Route{EventName: zero.EventName(), Publisher: zero.Publisher(), Handler: func(ctx context.Context, m Message) error {
		e, err := Decode[E](m)
		if err != nil {
			return err
		}
		return h(ctx, e)
	}}
}
