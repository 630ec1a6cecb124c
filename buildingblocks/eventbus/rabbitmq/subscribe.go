package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// subscription is one handler's registration.
type subscription struct {
	c             *consumer
	name          string
	publisher     string // the service that publishes the event
	publisherUser string // its broker user: the user_id its messages carry
	h             eventbus.Handler
	calls         sync.WaitGroup // calls taken (take) and not yet done
}

// subscribe registers the route's handler and returns once the queue is
// bound to its event name (at once if it already was), waiting for the
// broker bounded by ctx.
func (c *consumer) subscribe(ctx context.Context, r eventbus.Route) (eventbus.Subscription, error) {
	eventName := r.EventName
	switch {
	case c.cfg.Queue == "":
		return nil, errors.New("rabbitmq: subscribe: Config.Queue is not set")
	case eventName == "":
		return nil, errNoEventName
	case r.Handler == nil:
		return nil, errors.New("rabbitmq: subscribe: nil handler")
	case r.Publisher == "":
		return nil, fmt.Errorf("rabbitmq: subscribe %s: the route names no publisher, so no message of it could be trusted", eventName)
	}
	s := &subscription{c: c, name: eventName, publisher: r.Publisher, publisherUser: c.cfg.publisherUser(r.Publisher), h: r.Handler}
	c.mu.Lock()
	if c.stopping.Err() != nil {
		c.mu.Unlock()
		return nil, eventbus.ErrClosed
	}
	c.subs[eventName] = append(c.subs[eventName], s)
	c.changedLocked()
	start := !c.started
	c.started = true
	c.mu.Unlock()

	if start {
		go c.run()
	}
	if err := c.applyBinding(ctx, eventName); err != nil {
		c.remove(s)
		return nil, fmt.Errorf("subscribe %s: %w", eventName, err)
	}
	return s, nil
}

// Unsubscribe removes the handler and returns once no call of it runs or
// will start (so a handler must not wait for its own Unsubscribe). When it
// was the last one of its event name, it returns once the queue is unbound
// from that name too. Both waits are bounded by ctx; if ctx ends first,
// the unbinding still happens when the broker is back. After Close it only
// forgets the handler.
//
// The binding belongs to the queue, which every instance of the service
// shares: when one instance unsubscribes the last handler of a name, the
// others stop receiving that event too, until they bind it again (on their
// next reconnect). Messages of that name already in the queue wait a while
// for a handler and are then parked in the dead-letter queue.
func (s *subscription) Unsubscribe(ctx context.Context) error {
	found, last := s.c.remove(s)
	if !found {
		return nil
	}
	if err := waitGroup(ctx, &s.calls); err != nil {
		return fmt.Errorf("unsubscribe %s: handler still running: %w", s.name, err)
	}
	if !last {
		return nil
	}
	err := s.c.applyBinding(ctx, s.name)
	if err != nil && !errors.Is(err, eventbus.ErrClosed) {
		return fmt.Errorf("unsubscribe %s: %w", s.name, err)
	}
	return nil
}

// remove forgets a handler, if it was there, and reports whether it was
// the last of its event name. The name stays known, with no handler, until
// it is unbound.
func (c *consumer) remove(s *subscription) (found, last bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	subs := c.subs[s.name]
	i := slices.Index(subs, s)
	if i < 0 {
		return false, false
	}
	c.subs[s.name] = slices.Delete(subs, i, i+1)
	c.changedLocked()
	return true, len(c.subs[s.name]) == 0
}

// take returns the handlers of an event name, in the order they were
// subscribed, each with one call counted: its Unsubscribe waits for that
// call to be done.
func (c *consumer) take(eventName string) []*subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	subs := slices.Clone(c.subs[eventName])
	for _, s := range subs {
		s.calls.Add(1)
	}
	return subs
}

func (c *consumer) changedLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Bindings. The queue is bound to an event name while the name has a
// handler, and unbound once its last handler went. Subscribe and
// Unsubscribe apply the binding of their name on the current link; a new
// link applies those of every known name before it consumes.

// applyBinding makes the binding of eventName match its handlers, waiting
// for a link (bounded by ctx) while the broker is unreachable.
func (c *consumer) applyBinding(ctx context.Context, eventName string) error {
	for {
		link, err := c.currentLink(ctx)
		if err != nil {
			return err
		}
		if err := c.bind(link, eventName); err == nil {
			return nil
		}
		// The link broke: its successor applies the binding.
		select {
		case <-link.ctx.Done():
		case <-c.stopping.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// bind applies the binding of one event name on link. topoMu keeps the
// look at the handlers and the broker's change together, so that a
// Subscribe and an Unsubscribe of one name cannot cross.
func (c *consumer) bind(link *consLink, eventName string) error {
	link.topoMu.Lock()
	defer link.topoMu.Unlock()
	c.mu.Lock()
	subs, known := c.subs[eventName]
	c.mu.Unlock()
	switch {
	case len(subs) > 0 && !link.bound[eventName]:
		if err := link.topo.QueueBind(c.cfg.Queue, eventName, c.cfg.Exchange, false, nil); err != nil {
			return fmt.Errorf("rabbitmq: bind %s to %s: %w", c.cfg.Queue, eventName, err)
		}
		link.bound[eventName] = true
	case len(subs) == 0 && known:
		if err := link.topo.QueueUnbind(c.cfg.Queue, eventName, c.cfg.Exchange, nil); err != nil {
			return fmt.Errorf("rabbitmq: unbind %s from %s: %w", c.cfg.Queue, eventName, err)
		}
		delete(link.bound, eventName)
		c.mu.Lock()
		if len(c.subs[eventName]) == 0 {
			delete(c.subs, eventName)
		}
		c.mu.Unlock()
	}
	return nil
}

// currentLink returns the consuming link, waiting for one (bounded by ctx)
// while there is none.
func (c *consumer) currentLink(ctx context.Context) (*consLink, error) {
	for {
		c.mu.Lock()
		link, changed, lastErr := c.link, c.changed, c.lastErr
		c.mu.Unlock()
		if c.stopping.Err() != nil {
			return nil, eventbus.ErrClosed
		}
		if link != nil {
			return link, nil
		}
		select {
		case <-changed:
		case <-c.stopping.Done():
			return nil, eventbus.ErrClosed
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("rabbitmq: queue %s not ready (%v): %w", c.cfg.Queue, lastErr, ctx.Err())
			}
			return nil, fmt.Errorf("rabbitmq: queue %s not ready: %w", c.cfg.Queue, ctx.Err())
		}
	}
}
