package rabbitmq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	amqp "github.com/rabbitmq/amqp091-go"
)

// consumer owns the consuming connection and the handlers. One goroutine
// (run) owns the connection: it (re)connects, declares the topology, applies
// the bindings the subscriptions ask for, and reads deliveries, which it
// hands to at most Concurrency handler goroutines.
type consumer struct {
	cfg            Config
	log            *slog.Logger
	stop           chan struct{} // closed when Close begins
	loopDone       chan struct{} // closed when run returned
	handlerCtx     context.Context
	cancelHandlers context.CancelFunc
	poke           chan struct{} // asks run to apply the bindings again
	sem            chan struct{} // one token per running handler
	handling       sync.WaitGroup

	mu       sync.Mutex
	started  bool
	closed   bool
	nextID   uint64
	handlers map[string]map[uint64]eventbus.Handler
	unbind   map[string]bool // event names whose last handler went
	// want counts the changes of the bindings asked for; have is the last
	// change that the broker applied. Subscribe waits until have ≥ its want.
	want, have  uint64
	applied     chan struct{} // closed and replaced when have or lastErr change
	subsChanged chan struct{} // closed and replaced when a handler is added
	link        *consLink
	lastErr     error
}

// consLink is one consuming connection: a channel for topology changes and
// one that consumes.
type consLink struct {
	conn    *amqp.Connection
	topo    *amqp.Channel
	deliv   *amqp.Channel
	tag     string
	acks    *acker
	lost    <-chan struct{}
	bound   map[string]bool // owned by run
	reading bool            // read runs; readEnd closes when it returns
	readEnd chan struct{}
}

func newConsumer(cfg Config) *consumer {
	ctx, cancel := context.WithCancel(context.Background())
	return &consumer{
		cfg:            cfg,
		log:            cfg.Logger.With("component", "eventbus.rabbitmq.consumer", "queue", cfg.Queue),
		stop:           make(chan struct{}),
		loopDone:       make(chan struct{}),
		handlerCtx:     ctx,
		cancelHandlers: cancel,
		poke:           make(chan struct{}, 1),
		sem:            make(chan struct{}, cfg.Concurrency),
		handlers:       make(map[string]map[uint64]eventbus.Handler),
		unbind:         make(map[string]bool),
		applied:        make(chan struct{}),
		subsChanged:    make(chan struct{}),
	}
}

// subscribe registers h and returns once the queue is bound to eventName
// (at once if it already was), waiting for the broker bounded by ctx.
func (c *consumer) subscribe(ctx context.Context, eventName string, h eventbus.Handler) (eventbus.Subscription, error) {
	if c.cfg.Queue == "" {
		return nil, errors.New("rabbitmq: subscribe: Config.Queue is not set")
	}
	if eventName == "" {
		return nil, errNoEventName
	}
	if h == nil {
		return nil, errors.New("rabbitmq: subscribe: nil handler")
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, eventbus.ErrClosed
	}
	c.nextID++
	id := c.nextID
	if c.handlers[eventName] == nil {
		c.handlers[eventName] = make(map[uint64]eventbus.Handler)
	}
	c.handlers[eventName][id] = h
	c.want++
	gen := c.want
	close(c.subsChanged)
	c.subsChanged = make(chan struct{})
	start := !c.started
	c.started = true
	c.mu.Unlock()

	if start {
		go c.run()
	}
	c.kick()
	if err := c.waitApplied(ctx, gen); err != nil {
		c.remove(eventName, id)
		return nil, fmt.Errorf("subscribe %s: %w", eventName, err)
	}
	return &subscription{c: c, name: eventName, id: id}, nil
}

// subscription is one handler's registration.
type subscription struct {
	c    *consumer
	name string
	id   uint64
}

// Unsubscribe removes the handler. When it was the last one of its event
// name, it returns once the queue is unbound from that name (bounded by
// ctx; if ctx ends first, the unbinding still happens when the broker is
// back). After Close it only forgets the handler.
//
// The binding belongs to the queue, which every instance of the service
// shares: when one instance unsubscribes the last handler of a name, the
// others stop receiving that event too, until they bind it again (on their
// next reconnect). Messages of that name already in the queue wait a while
// for a handler and are then parked in the dead-letter queue.
func (s *subscription) Unsubscribe(ctx context.Context) error {
	gen, unbind := s.c.remove(s.name, s.id)
	if !unbind {
		return nil
	}
	s.c.kick()
	err := s.c.waitApplied(ctx, gen)
	if errors.Is(err, eventbus.ErrClosed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unsubscribe %s: %w", s.name, err)
	}
	return nil
}

// remove forgets a handler; when it was the last of its name it asks for
// the unbinding and returns the change to wait for.
func (c *consumer) remove(eventName string, id uint64) (gen uint64, unbind bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hs := c.handlers[eventName]
	if _, ok := hs[id]; !ok {
		return 0, false
	}
	delete(hs, id)
	if len(hs) > 0 {
		return 0, false
	}
	delete(c.handlers, eventName)
	c.unbind[eventName] = true
	c.want++
	return c.want, true
}

func (c *consumer) kick() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// waitApplied waits until the broker applied the bindings of change gen.
func (c *consumer) waitApplied(ctx context.Context, gen uint64) error {
	for {
		c.mu.Lock()
		have, applied, lastErr := c.have, c.applied, c.lastErr
		c.mu.Unlock()
		if have >= gen {
			return nil
		}
		select {
		case <-applied:
		case <-c.stop:
			return eventbus.ErrClosed
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("rabbitmq: queue %s not ready (%v): %w", c.cfg.Queue, lastErr, ctx.Err())
			}
			return fmt.Errorf("rabbitmq: queue %s not ready: %w", c.cfg.Queue, ctx.Err())
		}
	}
}

// run keeps a consuming link up until Close.
func (c *consumer) run() {
	defer close(c.loopDone)
	delay := backoff{min: minReconnectDelay, max: maxReconnectDelay}
	for {
		link, err := c.connect()
		if err != nil {
			c.setErr(err)
			c.log.Warn("event bus: cannot connect for consuming; retrying", "err", err)
			if !delay.wait(c.stop) {
				return
			}
			continue
		}
		delay.reset()
		if !c.serve(link) {
			return
		}
		if !sleep(jitter(minReconnectDelay), c.stop) {
			return
		}
	}
}

func (c *consumer) connect() (*consLink, error) {
	conn, err := dial(c.cfg.URL, c.cfg.AppID+"-consume")
	if err != nil {
		return nil, fmt.Errorf("rabbitmq: dial: %w", err)
	}
	link := &consLink{conn: conn, bound: make(map[string]bool), readEnd: make(chan struct{})}
	fail := func(err error) (*consLink, error) {
		_ = conn.Close()
		return nil, fmt.Errorf("rabbitmq: %w", err)
	}
	if link.topo, err = conn.Channel(); err != nil {
		return fail(err)
	}
	if link.deliv, err = conn.Channel(); err != nil {
		return fail(err)
	}
	if err := link.deliv.Qos(c.cfg.Prefetch, 0, false); err != nil {
		return fail(err)
	}
	link.acks = newAcker(link.deliv, c.cfg.Prefetch)
	if err := declareExchange(link.topo, c.cfg.Exchange); err != nil {
		return fail(err)
	}
	if err := declareQueue(link.topo, c.cfg.Queue); err != nil {
		return fail(err)
	}
	link.lost = watchLoss(conn, link.topo, link.deliv)
	var tag [6]byte
	_, _ = rand.Read(tag[:])
	link.tag = c.cfg.AppID + "-" + hex.EncodeToString(tag[:])
	return link, nil
}

// serve binds, consumes and dispatches on link until the link is lost (it
// returns true: reconnect) or Close begins (false). On Close it cancels the
// consumer and leaves the link open: Close waits for the handlers, which
// still ack on it, and then closes it.
func (c *consumer) serve(link *consLink) bool {
	if !c.setLink(link) {
		_ = link.conn.Close()
		return false
	}
	if err := c.reconcile(link); err != nil {
		return c.drop(link, err)
	}
	deliveries, err := link.deliv.Consume(c.cfg.Queue, link.tag, false, false, false, false, nil)
	if err != nil {
		return c.drop(link, fmt.Errorf("rabbitmq: consume %s: %w", c.cfg.Queue, err))
	}
	c.log.Info("event bus: consuming", "prefetch", c.cfg.Prefetch, "concurrency", c.cfg.Concurrency)
	link.reading = true
	go c.read(link, deliveries)
	for {
		select {
		case <-c.poke:
			if err := c.reconcile(link); err != nil {
				return c.drop(link, err)
			}
		case <-link.lost:
			return c.drop(link, errors.New("rabbitmq: consuming connection lost"))
		case <-c.stop:
			// Stop taking deliveries: the broker sends no more, and the
			// ones already prefetched stay unacknowledged, so they go back
			// to the queue when the connection closes.
			if err := link.deliv.Cancel(link.tag, false); err != nil {
				_ = link.conn.Close()
			}
			<-link.readEnd
			return false
		}
	}
}

// drop ends a link after an error: the connection closes (unacknowledged
// deliveries go back to the queue), and the handlers still running on it
// finish before the next link consumes, so that a message is not handled
// twice at the same time by this process.
func (c *consumer) drop(link *consLink, err error) bool {
	c.log.Warn("event bus: consuming link lost; reconnecting", "err", err)
	c.clearLink(link, err)
	_ = link.conn.Close()
	link.acks.stop()
	if link.reading {
		<-link.readEnd
	}
	c.handling.Wait()
	select {
	case <-c.stop:
		return false
	default:
		return true
	}
}

func (c *consumer) setLink(link *consLink) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.link = link
	return true
}

func (c *consumer) clearLink(link *consLink, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.link == link {
		c.link = nil
	}
	c.lastErr = err
	close(c.applied)
	c.applied = make(chan struct{})
}

func (c *consumer) setErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastErr = err
	close(c.applied)
	c.applied = make(chan struct{})
}

// reconcile makes the queue's bindings match the subscriptions: bind every
// event name that has a handler and is not bound on this link yet, unbind
// the names whose last handler went.
func (c *consumer) reconcile(link *consLink) error {
	c.mu.Lock()
	gen := c.want
	var bind, unbind []string
	for name := range c.handlers {
		if !link.bound[name] {
			bind = append(bind, name)
		}
	}
	for name := range c.unbind {
		if c.handlers[name] == nil {
			unbind = append(unbind, name)
		}
	}
	c.mu.Unlock()

	for _, name := range bind {
		if err := link.topo.QueueBind(c.cfg.Queue, name, c.cfg.Exchange, false, nil); err != nil {
			return fmt.Errorf("rabbitmq: bind %s to %s: %w", c.cfg.Queue, name, err)
		}
		link.bound[name] = true
	}
	for _, name := range unbind {
		if err := link.topo.QueueUnbind(c.cfg.Queue, name, c.cfg.Exchange, nil); err != nil {
			return fmt.Errorf("rabbitmq: unbind %s from %s: %w", c.cfg.Queue, name, err)
		}
		delete(link.bound, name)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, name := range unbind {
		if c.handlers[name] == nil {
			delete(c.unbind, name)
		}
	}
	c.have = max(c.have, gen)
	c.lastErr = nil
	close(c.applied)
	c.applied = make(chan struct{})
	return nil
}

// read hands deliveries to handler goroutines, at most Concurrency at once.
// It returns when the delivery channel closes (consumer cancelled or link
// lost).
func (c *consumer) read(link *consLink, deliveries <-chan amqp.Delivery) {
	defer close(link.readEnd)
	for d := range deliveries {
		if c.interrupted(link) {
			continue // left unacknowledged: it goes back to the queue
		}
		c.handling.Add(1)
		if handlers := c.handlersOf(eventName(d)); len(handlers) > 0 {
			if !c.acquire(link) {
				c.handling.Done()
				continue
			}
			go func() {
				defer c.handling.Done()
				defer c.release()
				c.handle(link, d, handlers)
			}()
			continue
		}
		// No handler yet: wait for one without taking a handler's place,
		// so that the events that have one keep flowing.
		go func() {
			defer c.handling.Done()
			handlers := c.awaitHandlers(link, eventName(d))
			if len(handlers) == 0 {
				c.unhandled(link, d)
				return
			}
			if !c.acquire(link) {
				settle(c.log, link.acks.nack(d.DeliveryTag, true))
				return
			}
			defer c.release()
			c.handle(link, d, handlers)
		}()
	}
}

// acquire takes a handler's place; false if the link is lost or the bus
// closes first.
func (c *consumer) acquire(link *consLink) bool {
	select {
	case c.sem <- struct{}{}:
		return true
	case <-c.stop:
		return false
	case <-link.lost:
		return false
	}
}

func (c *consumer) release() { <-c.sem }

// connected reports whether the consumer, if it was started, is connected.
func (c *consumer) connected() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started || c.link != nil {
		return nil
	}
	if c.lastErr != nil {
		return c.lastErr
	}
	return errors.New("rabbitmq: not connected yet")
}

// close stops taking deliveries, waits for the running handlers (bounded by
// ctx) and closes the connection; what was not acknowledged goes back to
// the queue.
func (c *consumer) close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	started := c.started
	c.mu.Unlock()
	close(c.stop)
	if !started {
		return nil
	}

	var err error
	select {
	case <-c.loopDone:
		waited := make(chan struct{})
		go func() {
			c.handling.Wait()
			close(waited)
		}()
		select {
		case <-waited:
		case <-ctx.Done():
			err = fmt.Errorf("rabbitmq: handlers still running at close: %w", ctx.Err())
		}
	case <-ctx.Done():
		err = fmt.Errorf("rabbitmq: consumer did not stop: %w", ctx.Err())
	}
	if err != nil {
		c.cancelHandlers()
	}
	c.mu.Lock()
	link := c.link
	c.link = nil
	c.mu.Unlock()
	if link != nil {
		link.acks.flush()
		_ = link.conn.Close()
	}
	if err == nil {
		c.cancelHandlers()
	}
	return err
}
