// Package inmem is an in-process [eventbus.Bus] for unit tests.
//
// Publish delivers the message synchronously to every handler subscribed to
// its name before it returns, so a test can assert on the effects right
// after publishing. A failing handler is retried up to MaxAttempts times
// (an [eventbus.ErrInvalidEvent] not at all); then the message is parked
// and listed by [Bus.DeadLetters]. Nothing is
// persisted: this bus gives none of the delivery guarantees of the rabbitmq
// transport and is not meant for production.
package inmem

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/internal/defaults"
)

// DefaultMaxAttempts is how often a failing handler is tried before its
// message is parked, as in the rabbitmq transport.
const DefaultMaxAttempts = 5

// Bus is an in-process event bus. The zero value is ready to use.
type Bus struct {
	// MaxAttempts is how often a failing handler is tried; 0 means
	// DefaultMaxAttempts.
	MaxAttempts int

	mu        sync.Mutex
	closed    bool
	nextID    int
	handlers  map[string]map[int]eventbus.Handler
	published []eventbus.Message
	dead      []eventbus.Message
}

// Publish delivers m to every handler of m.Name, in the calling goroutine.
func (b *Bus) Publish(ctx context.Context, m eventbus.Message) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return eventbus.ErrClosed
	}
	if m.Time.IsZero() {
		m.Time = time.Now().UTC()
	}
	b.published = append(b.published, m)
	handlers := make([]eventbus.Handler, 0, len(b.handlers[m.Name]))
	for _, h := range b.handlers[m.Name] {
		handlers = append(handlers, h)
	}
	b.mu.Unlock()

	for _, h := range handlers {
		b.deliver(ctx, m, h)
	}
	return nil
}

func (b *Bus) deliver(ctx context.Context, m eventbus.Message, h eventbus.Handler) {
	attempts := defaults.Positive(b.MaxAttempts, DefaultMaxAttempts)
	hctx := eventbus.WithCorrelationID(ctx, m.CorrelationID)
	for attempt := 1; attempt <= attempts; attempt++ {
		m.Attempt = attempt
		err := h(hctx, m)
		if err == nil {
			return
		}
		if errors.Is(err, eventbus.ErrInvalidEvent) {
			break
		}
	}
	b.mu.Lock()
	b.dead = append(b.dead, m)
	b.mu.Unlock()
}

// Subscribe registers the route's handler for its event name. Every
// message comes from this process, so the route's publisher is not
// checked: nothing can forge one.
func (b *Bus) Subscribe(_ context.Context, r eventbus.Route) (eventbus.Subscription, error) {
	eventName, h := r.EventName, r.Handler
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, eventbus.ErrClosed
	}
	if b.handlers == nil {
		b.handlers = make(map[string]map[int]eventbus.Handler)
	}
	if b.handlers[eventName] == nil {
		b.handlers[eventName] = make(map[int]eventbus.Handler)
	}
	b.nextID++
	b.handlers[eventName][b.nextID] = h
	return &subscription{bus: b, name: eventName, id: b.nextID}, nil
}

// Published returns every message published so far, in order.
func (b *Bus) Published() []eventbus.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]eventbus.Message(nil), b.published...)
}

// DeadLetters returns the messages whose handler failed every attempt.
func (b *Bus) DeadLetters() []eventbus.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]eventbus.Message(nil), b.dead...)
}

// Close makes further Publish and Subscribe calls fail with ErrClosed.
func (b *Bus) Close(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

type subscription struct {
	bus  *Bus
	name string
	id   int
}

func (s *subscription) Unsubscribe(context.Context) error {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	delete(s.bus.handlers[s.name], s.id)
	if len(s.bus.handlers[s.name]) == 0 {
		delete(s.bus.handlers, s.name)
	}
	return nil
}
