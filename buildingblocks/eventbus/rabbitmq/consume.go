package rabbitmq

import (
	"cmp"
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
// up; serve binds the queue to every subscribed event name and consumes;
// read takes each delivery, tells what it stands for (arrive,
// authenticity.go), waits for a free handler slot (at most Concurrency
// handlers run at once), takes the handlers of its event name at that
// moment, and starts handle (handle.go), which runs them and settles the
// delivery.
//
// Redelivered messages are handled alone. A message comes back
// (redelivered, its x-delivery-count one more) whenever the process that
// held it died or lost its connection, whether or not it was handling it;
// with many prefetched, one message that kills the process would count a
// death against each of them, and the crash-loop guard would park them
// all. So a link consumes in two modes: careful, one message prefetched
// and each redelivered one handled in turn, and fast, Prefetch and
// Concurrency. It starts careful (the queue delivers the messages that
// came back first) and goes fast at the first message that was never
// delivered before; a fast consumer that meets a redelivered one sets it
// aside, stops, finishes the others it holds, handles the ones it set
// aside one by one, and goes careful. A process then dies with only the
// message it was handling (or, rarely, those set aside with it), and only
// that message's count grows.
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
	tag     string // the start of its consumer tags
	acks    *acker
	ctx     context.Context // done when the link is lost
	readEnd chan struct{}   // closed when the last consumer's read returned

	consMu    sync.Mutex // held across a consumer's start or cancel
	consumers int        // consumers started, for their tags
	consuming string     // the tag of the consumer now, "" once cancelled
	failure   error      // why the link failed, if it did while consuming

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
	if err := declareExchange(conn, c.cfg.Exchange); err != nil {
		return fail(err)
	}
	if err := declareQueue(conn, c.cfg.Queue); err != nil {
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
	deliveries, err := c.startConsuming(link, true)
	if err != nil {
		return c.drop(link, false, err)
	}
	c.setLink(link, nil)
	c.log.Info("event bus: consuming", "prefetch", c.cfg.Prefetch, "concurrency", c.cfg.Concurrency)
	go c.consume(link, deliveries)

	select {
	case <-link.ctx.Done():
		link.consMu.Lock()
		err := cmp.Or(link.failure, errors.New("rabbitmq: consuming connection lost"))
		link.consMu.Unlock()
		return c.drop(link, true, err)
	case <-c.stopping.Done():
	}
	// Stop taking deliveries: the broker sends no more, and those already
	// prefetched stay unacknowledged and go back to the queue when the
	// connection closes.
	c.stopConsuming(link)
	<-link.readEnd
	return eventbus.ErrClosed
}

// startConsuming starts a consumer of the queue on link, careful (one
// message prefetched) or fast (Prefetch).
func (c *consumer) startConsuming(link *consLink, careful bool) (<-chan amqp.Delivery, error) {
	link.consMu.Lock()
	defer link.consMu.Unlock()
	if c.stopping.Err() != nil {
		return nil, eventbus.ErrClosed
	}
	prefetch := c.cfg.Prefetch
	if careful {
		prefetch = 1
	}
	if err := link.deliv.Qos(prefetch, 0, false); err != nil {
		return nil, fmt.Errorf("rabbitmq: prefetch %d: %w", prefetch, err)
	}
	link.consumers++
	tag := fmt.Sprintf("%s-%d", link.tag, link.consumers)
	deliveries, err := link.deliv.Consume(c.cfg.Queue, tag, false, false, false, false, nil)
	if err != nil {
		return nil, fmt.Errorf("rabbitmq: consume %s: %w", c.cfg.Queue, err)
	}
	link.consuming = tag
	return deliveries, nil
}

// stopConsuming cancels the consumer of link, if one runs: the broker
// sends it nothing more, and its delivery channel closes once what was
// sent is read.
func (c *consumer) stopConsuming(link *consLink) {
	link.consMu.Lock()
	defer link.consMu.Unlock()
	if link.consuming == "" {
		return
	}
	if err := link.deliv.Cancel(link.consuming, false); err != nil {
		_ = link.conn.Close()
	}
	link.consuming = ""
}

// consume reads the deliveries of one consumer after another on link,
// careful first, switching mode when read says so, until the link is lost
// or Close begins.
func (c *consumer) consume(link *consLink, deliveries <-chan amqp.Delivery) {
	defer close(link.readEnd)
	for careful := true; ; careful = !careful {
		if !c.read(link, deliveries, careful) {
			return
		}
		var err error
		if deliveries, err = c.startConsuming(link, !careful); err != nil {
			if !errors.Is(err, eventbus.ErrClosed) {
				link.consMu.Lock()
				link.failure = err
				link.consMu.Unlock()
				_ = link.conn.Close()
			}
			return
		}
	}
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

// read takes the deliveries of one consumer until its channel closes
// (cancelled, or the link lost), and reports whether it cancelled the
// consumer to switch modes.
//
// A careful consumer handles each redelivered message in turn, alone, and
// switches at the first one never delivered before, which it hands on as
// a fast one does. A fast consumer hands each delivery to a handler
// goroutine once a handler slot is free, with the handlers of its event
// name at that moment; it switches at the first redelivered one, which it
// sets aside with any others that follow, and once the rest are done
// with, handles those one by one.
func (c *consumer) read(link *consLink, deliveries <-chan amqp.Delivery, careful bool) (switched bool) {
	var aside []amqp.Delivery
	for d := range deliveries {
		if link.ctx.Err() != nil || c.stopping.Err() != nil {
			continue // left unacknowledged: it goes back to the queue
		}
		a := c.arrive(d)
		switch {
		case a.own && toBeParked(d):
			settle(c.log, link.acks.nack(d.DeliveryTag, false))
		case d.Redelivered && careful:
			c.handleAlone(link, d, a)
		case d.Redelivered:
			aside = append(aside, d)
			if !switched {
				switched = true
				c.stopConsuming(link)
			}
		default:
			c.dispatch(link, d, a)
			if careful && !switched {
				switched = true
				c.stopConsuming(link)
			}
		}
	}
	if len(aside) > 0 {
		c.working.Wait()
		link.acks.flush()
		for _, d := range aside {
			if link.ctx.Err() != nil || c.stopping.Err() != nil {
				break
			}
			c.handleAlone(link, d, c.arrive(d))
		}
	}
	return switched && link.ctx.Err() == nil && c.stopping.Err() == nil
}

// dispatch hands a delivery to a handler goroutine once a handler slot is
// free, with the handlers of its event name at that moment; a forged one
// is parked without a slot.
func (c *consumer) dispatch(link *consLink, d amqp.Delivery, a arrival) {
	if a.forged != "" {
		c.working.Add(1)
		go func() {
			defer c.working.Done()
			c.parkForged(link, d, a)
		}()
		return
	}
	if !c.acquire(link) {
		return
	}
	subs := c.take(a.name)
	c.working.Add(1)
	go func() {
		defer c.working.Done()
		c.handleTaken(link, d, a, subs)
	}()
}

// handleAlone handles a redelivered message with nothing else running,
// and acknowledges it at once, so that the next one comes.
func (c *consumer) handleAlone(link *consLink, d amqp.Delivery, a arrival) {
	defer link.acks.flush()
	if a.forged != "" {
		c.parkForged(link, d, a)
		return
	}
	if !c.acquire(link) {
		return
	}
	c.handleTaken(link, d, a, c.take(a.name))
}

// handleTaken handles a delivery for which a handler slot and the handlers
// of its event name were taken; with no handler yet, it gives the slot back
// and waits for one (awaitHandlers).
func (c *consumer) handleTaken(link *consLink, d amqp.Delivery, a arrival, subs []*subscription) {
	if len(subs) == 0 {
		c.release()
		if subs = c.awaitHandlers(link, d, a); len(subs) == 0 {
			return
		}
	}
	defer c.release()
	c.handle(link, d, a, subs)
}

// awaitHandlers waits UnhandledGrace, without a handler slot, for a
// handler of a delivery whose event name has none: at startup a service
// subscribes its handlers one by one, and the queue may already hold
// messages for those that come next. It returns the handlers with a slot
// taken, or nil once it settled the delivery or the link ended.
func (c *consumer) awaitHandlers(link *consLink, d amqp.Delivery, a arrival) []*subscription {
	grace := time.NewTimer(c.cfg.UnhandledGrace)
	defer grace.Stop()
	for {
		c.mu.Lock()
		changed, waiting := c.changed, len(c.subs[a.name]) == 0
		c.mu.Unlock()
		if !waiting {
			if !c.acquire(link) {
				return nil
			}
			if subs := c.take(a.name); len(subs) > 0 {
				return subs
			}
			c.release()
			continue
		}
		select {
		case <-changed:
		case <-grace.C:
			c.unhandled(link, d, a)
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
