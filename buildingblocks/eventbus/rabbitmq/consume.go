package rabbitmq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/trace"
)

// consumer receives the deliveries of the service's queue and runs the
// handlers subscribed to their event names.
//
// The way of a delivery: run keeps a link (a connection and its channels)
// up; serve binds the queue to every subscribed event name and starts
// consuming; read takes each delivery, waits for a free handler slot (at
// most Concurrency handlers run at once), takes the handlers of its event
// name at that moment, and starts handle (handle.go), which runs them and
// settles the delivery.
//
// Subscribe and Unsubscribe change the handlers at any time; each then
// makes the queue's binding of its event name match (subscribe.go), on
// the current link or, while the broker is away, on the next one.
type consumer struct {
	cfg            Config
	log            *slog.Logger
	tracer         trace.Tracer
	stopping       context.Context // done once Close begins
	stop           context.CancelFunc
	stopped        chan struct{}   // closed when run returned
	handlerCtx     context.Context // the handlers' context
	cancelHandlers context.CancelFunc
	slots          chan struct{}  // one token per running handler
	working        sync.WaitGroup // deliveries taken by read and not yet done with

	mu      sync.Mutex
	started bool                       // run was started (by the first Subscribe)
	subs    map[string][]*subscription // by event name; an empty list: a name to unbind
	changed chan struct{}              // closed and replaced when subs or link change
	link    *consLink                  // the link consuming now; nil in between
	lastErr error                      // why the last link failed
}

// consLink is one consuming connection: a channel for the bindings, one
// that consumes and one, in confirm mode, that sends messages on to the
// wait queue or to be parked.
type consLink struct {
	conn    *amqp.Connection
	topo    *amqp.Channel
	deliv   *amqp.Channel
	send    *amqp.Channel
	tag     string
	acks    *acker
	ctx     context.Context // done when the link is lost
	readEnd chan struct{}   // closed when read returned

	topoMu sync.Mutex      // held across a binding's check and its change
	bound  map[string]bool // event names bound on this link
}

func newConsumer(cfg Config) *consumer {
	stopping, stop := context.WithCancel(context.Background())
	handlerCtx, cancelHandlers := context.WithCancel(context.Background())
	return &consumer{
		cfg:            cfg,
		log:            cfg.Logger.With("component", "eventbus.rabbitmq.consumer", "queue", cfg.Queue),
		tracer:         cfg.TracerProvider.Tracer(tracerName),
		stopping:       stopping,
		stop:           stop,
		stopped:        make(chan struct{}),
		handlerCtx:     handlerCtx,
		cancelHandlers: cancelHandlers,
		slots:          make(chan struct{}, cfg.Concurrency),
		subs:           make(map[string][]*subscription),
		changed:        make(chan struct{}),
	}
}

// run keeps a consuming link up until Close.
func (c *consumer) run() {
	defer close(c.stopped)
	keepLinked(c.stopping, c.log, "consuming", func(linked func()) error {
		link, err := c.connect()
		if err != nil {
			c.setLink(nil, err)
			return err
		}
		linked()
		return c.serve(link)
	})
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
	if link.send, err = conn.Channel(); err != nil {
		return fail(err)
	}
	if err := link.send.Confirm(false); err != nil {
		return fail(err)
	}
	if err := link.deliv.Qos(c.cfg.Prefetch, 0, false); err != nil {
		return fail(err)
	}
	if err := declareExchange(conn, c.cfg.Exchange); err != nil {
		return fail(err)
	}
	if err := declareQueue(link.topo, c.cfg.Queue); err != nil {
		return fail(err)
	}
	link.acks = newAcker(link.deliv, c.cfg.Prefetch)
	link.ctx = watchLoss(context.Background(), conn, link.topo, link.deliv, link.send)
	var tag [6]byte
	_, _ = rand.Read(tag[:])
	link.tag = c.cfg.AppID + "-" + hex.EncodeToString(tag[:])
	return link, nil
}

// serve binds, consumes and reads on link until the link is lost (it
// returns why) or Close begins. Then it cancels the consumer and leaves
// the link open: Close waits for the handlers, which still ack on it, and
// then closes it.
func (c *consumer) serve(link *consLink) error {
	c.mu.Lock()
	names := slices.Collect(maps.Keys(c.subs))
	c.mu.Unlock()
	for _, name := range names {
		if err := c.bind(link, name); err != nil {
			return c.drop(link, false, err)
		}
	}
	deliveries, err := link.deliv.Consume(c.cfg.Queue, link.tag, false, false, false, false, nil)
	if err != nil {
		return c.drop(link, false, fmt.Errorf("rabbitmq: consume %s: %w", c.cfg.Queue, err))
	}
	c.setLink(link, nil)
	c.log.Info("event bus: consuming", "prefetch", c.cfg.Prefetch, "concurrency", c.cfg.Concurrency)
	go c.read(link, deliveries)

	select {
	case <-link.ctx.Done():
		return c.drop(link, true, errors.New("rabbitmq: consuming connection lost"))
	case <-c.stopping.Done():
	}
	// Stop taking deliveries: the broker sends no more, and those already
	// prefetched stay unacknowledged and go back to the queue when the
	// connection closes.
	if err := link.deliv.Cancel(link.tag, false); err != nil {
		_ = link.conn.Close()
	}
	<-link.readEnd
	return eventbus.ErrClosed
}

// drop ends a link after an error: the connection closes (unacknowledged
// deliveries go back to the queue), and the handlers still running on it
// finish before the next link consumes, so that this process does not
// handle one message twice at the same time.
func (c *consumer) drop(link *consLink, reading bool, err error) error {
	c.setLink(nil, err)
	_ = link.conn.Close()
	link.acks.stop()
	if reading {
		<-link.readEnd
	}
	c.working.Wait()
	return err
}

// setLink publishes the link consuming now, or nil and why there is none.
func (c *consumer) setLink(link *consLink, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.link, c.lastErr = link, err
	c.changedLocked()
}

// read hands each delivery to a handler goroutine once a handler slot is
// free, with the handlers of its event name at that moment. It returns
// when the delivery channel closes (consumer cancelled or link lost).
func (c *consumer) read(link *consLink, deliveries <-chan amqp.Delivery) {
	defer close(link.readEnd)
	for d := range deliveries {
		switch {
		case link.ctx.Err() != nil || c.stopping.Err() != nil:
			continue // left unacknowledged: it goes back to the queue
		case toBeParked(d):
			settle(c.log, link.acks.nack(d.DeliveryTag, false))
			continue
		case !c.acquire(link):
			continue
		}
		subs := c.take(eventName(d))
		c.working.Add(1)
		go func() {
			defer c.working.Done()
			if len(subs) == 0 {
				c.release()
				if subs = c.awaitHandlers(link, d); len(subs) == 0 {
					return
				}
			}
			defer c.release()
			c.handle(link, d, subs)
		}()
	}
}

// awaitHandlers waits UnhandledGrace, without a handler slot, for a
// handler of a delivery whose event name has none: at startup a service
// subscribes its handlers one by one, and the queue may already hold
// messages for those that come next. It returns the handlers with a slot
// taken, or nil once it settled the delivery or the link ended.
func (c *consumer) awaitHandlers(link *consLink, d amqp.Delivery) []*subscription {
	grace := time.NewTimer(c.cfg.UnhandledGrace)
	defer grace.Stop()
	for {
		c.mu.Lock()
		changed, waiting := c.changed, len(c.subs[eventName(d)]) == 0
		c.mu.Unlock()
		if !waiting {
			if !c.acquire(link) {
				return nil
			}
			if subs := c.take(eventName(d)); len(subs) > 0 {
				return subs
			}
			c.release()
			continue
		}
		select {
		case <-changed:
		case <-grace.C:
			c.unhandled(link, d)
			return nil
		case <-link.ctx.Done():
			return nil
		case <-c.stopping.Done():
			return nil
		}
	}
}

// acquire takes a handler slot; false if the link is lost or Close begins
// first.
func (c *consumer) acquire(link *consLink) bool {
	select {
	case c.slots <- struct{}{}:
		return true
	case <-link.ctx.Done():
		return false
	case <-c.stopping.Done():
		return false
	}
}

func (c *consumer) release() { <-c.slots }

// connected reports whether the consumer, if it was started, is connected.
func (c *consumer) connected() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.started || c.link != nil:
		return nil
	case c.lastErr != nil:
		return c.lastErr
	}
	return errors.New("rabbitmq: not connected yet")
}

// close stops taking deliveries, waits for the running handlers (bounded by
// ctx) and closes the connection; what was not acknowledged goes back to
// the queue.
func (c *consumer) close(ctx context.Context) error {
	c.mu.Lock()
	c.stop()
	started := c.started
	c.mu.Unlock()
	if !started {
		return nil
	}

	var err error
	select {
	case <-c.stopped:
		if err = waitGroup(ctx, &c.working); err != nil {
			err = fmt.Errorf("rabbitmq: handlers still running at close: %w", err)
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
	c.cancelHandlers()
	return err
}
