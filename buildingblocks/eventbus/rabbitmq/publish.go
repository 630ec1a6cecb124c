package rabbitmq

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	amqp "github.com/rabbitmq/amqp091-go"
)

// publisher owns the publishing connection: it keeps one up (reconnecting
// with backoff) and lets any number of goroutines publish on it at once.
//
// Confirms are pipelined: all publishes share one confirm-mode channel; each
// sends and then waits for its own confirm while others send behind it, and
// the broker acknowledges many messages with one basic.ack. (One channel
// costs the broker less per message than several: measured with the
// benchmark.) When the link goes away, amqp091 resolves every outstanding
// confirm as a nack and the publish is sent again on the next link.
type publisher struct {
	cfg  Config
	log  *slog.Logger
	done <-chan struct{} // closed when the bus closes

	mu      sync.Mutex
	link    *pubLink      // nil while disconnected
	up      chan struct{} // closed when link becomes non-nil
	lastErr error
	closed  bool

	inflight sync.WaitGroup // Publish calls under way, for Close
}

// pubLink is one connection with its confirm channel.
type pubLink struct {
	conn *amqp.Connection
	ch   *amqp.Channel
	lost <-chan struct{}

	mu        sync.Mutex
	unblocked chan struct{} // non-nil while the broker blocks publishing
}

// watchBlocked follows connection.blocked / unblocked: a broker short of
// memory or disk stops reading from publishing connections, and a publish
// that wrote then would hang in the write, deaf to its context. While
// blocked, publishes wait before they write, bounded by their context.
func (l *pubLink) watchBlocked(log *slog.Logger, notes <-chan amqp.Blocking) {
	for b := range notes {
		l.mu.Lock()
		switch {
		case b.Active && l.unblocked == nil:
			log.Warn("event bus: the broker blocks publishing", "reason", b.Reason)
			l.unblocked = make(chan struct{})
		case !b.Active && l.unblocked != nil:
			log.Info("event bus: the broker takes publishes again")
			close(l.unblocked)
			l.unblocked = nil
		}
		l.mu.Unlock()
	}
	// The connection closed: nobody waits for this link any longer.
	l.mu.Lock()
	if l.unblocked != nil {
		close(l.unblocked)
		l.unblocked = nil
	}
	l.mu.Unlock()
}

// whenUnblocked returns nil at once unless the broker blocks publishing;
// then it waits for the broker, the loss of the link (the publish then
// goes to the next one), ctx or the bus's end.
func (l *pubLink) whenUnblocked(ctx context.Context, done <-chan struct{}) error {
	l.mu.Lock()
	unblocked := l.unblocked
	l.mu.Unlock()
	if unblocked == nil {
		return nil
	}
	select {
	case <-unblocked:
		return nil
	case <-l.lost:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("rabbitmq: broker blocks publishing: %w", ctx.Err())
	case <-done:
		return eventbus.ErrClosed
	}
}

func newPublisher(cfg Config, done <-chan struct{}) *publisher {
	return &publisher{
		cfg:  cfg,
		log:  cfg.Logger.With("component", "eventbus.rabbitmq.publisher", "app", cfg.AppID),
		done: done,
		up:   make(chan struct{}),
	}
}

// run keeps a link up until the bus closes.
func (p *publisher) run() {
	delay := backoff{min: minReconnectDelay, max: maxReconnectDelay}
	for {
		link, err := p.connect()
		if err != nil {
			p.setLost(err)
			p.log.Warn("event bus: cannot connect for publishing; retrying", "err", err)
			if !delay.wait(p.done) {
				return
			}
			continue
		}
		delay.reset()
		if !p.setLink(link) {
			_ = link.conn.Close()
			return
		}
		select {
		case <-link.lost:
			if p.isClosed() {
				return
			}
			p.log.Warn("event bus: publishing connection lost; reconnecting")
			p.setLost(fmt.Errorf("rabbitmq: publishing connection lost"))
			// Closing the connection resolves the confirms of every channel
			// as nacks, so the waiting publishes retry on the next link.
			_ = link.conn.Close()
			if !sleep(jitter(minReconnectDelay), p.done) {
				return
			}
		case <-p.done:
			return
		}
	}
}

func (p *publisher) connect() (*pubLink, error) {
	conn, err := dial(p.cfg.URL, p.cfg.AppID+"-publish")
	if err != nil {
		return nil, fmt.Errorf("rabbitmq: dial: %w", err)
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("rabbitmq: open confirm channel: %w", err)
	}
	if err := declareExchange(ch, p.cfg.Exchange); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("rabbitmq: %w", err)
	}
	link := &pubLink{conn: conn, ch: ch, lost: watchLoss(conn, ch)}
	go link.watchBlocked(p.log, conn.NotifyBlocked(make(chan amqp.Blocking, 1)))
	return link, nil
}

// setLink makes l the current link, unless the publisher closed meanwhile.
func (p *publisher) setLink(l *pubLink) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.link, p.lastErr = l, nil
	close(p.up)
	p.log.Info("event bus: connected for publishing")
	return true
}

func (p *publisher) setLost(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.link != nil {
		p.link = nil
		p.up = make(chan struct{})
	}
	p.lastErr = err
}

func (p *publisher) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// current returns the link, waiting for one (bounded by ctx) while the
// broker is unreachable.
func (p *publisher) current(ctx context.Context) (*pubLink, error) {
	for {
		p.mu.Lock()
		link, up, lastErr := p.link, p.up, p.lastErr
		p.mu.Unlock()
		if link != nil {
			return link, nil
		}
		select {
		case <-up:
		case <-p.done:
			return nil, eventbus.ErrClosed
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("rabbitmq: not connected (%v): %w", lastErr, ctx.Err())
			}
			return nil, fmt.Errorf("rabbitmq: not connected: %w", ctx.Err())
		}
	}
}

// connected reports whether a link is up.
func (p *publisher) connected() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.link != nil {
		return nil
	}
	if p.lastErr != nil {
		return p.lastErr
	}
	return fmt.Errorf("rabbitmq: not connected yet")
}

// publish sends m and waits for the broker's confirm, retrying on every new
// link until it is confirmed or ctx ends.
func (p *publisher) publish(ctx context.Context, m eventbus.Message) error {
	return p.publishBatch(ctx, []eventbus.Message{m})
}

// publishBatch sends msgs in order on the confirm channel, their confirms
// pipelined, and returns once the broker has confirmed every one. When the
// link goes away or the broker refuses one, it sends again, in order, from
// the first message not confirmed, so the first copies arrive in order (a
// copy may come twice; the consumers' inbox drops it). It gives up only
// when ctx ends or the bus closes.
func (p *publisher) publishBatch(ctx context.Context, msgs []eventbus.Message) error {
	for _, m := range msgs {
		if m.Name == "" {
			return errNoEventName
		}
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return eventbus.ErrClosed
	}
	p.inflight.Add(1)
	p.mu.Unlock()
	defer p.inflight.Done()

	failed := func(i int, what string, err error) error {
		if len(msgs) == 1 {
			return fmt.Errorf("publish %s %s: %s%w", msgs[i].Name, msgs[i].ID, what, err)
		}
		return fmt.Errorf("publish batch at %d of %d (%s %s): %s%w", i+1, len(msgs), msgs[i].Name, msgs[i].ID, what, err)
	}
	confirms := make([]*amqp.DeferredConfirmation, len(msgs))
	next, nacks := 0, 0 // msgs[:next] are confirmed
	for next < len(msgs) {
		link, err := p.current(ctx)
		if err != nil {
			return failed(next, "", err)
		}
		if err := link.whenUnblocked(ctx, p.done); err != nil {
			return failed(next, "", err)
		}
		sent := next
		for ; sent < len(msgs); sent++ {
			confirms[sent], err = link.ch.PublishWithDeferredConfirmWithContext(ctx, p.cfg.Exchange, msgs[sent].Name, false, false, publishing(msgs[sent], p.cfg.AppID))
			if err != nil {
				break
			}
		}
		if sent == next {
			if ctx.Err() != nil {
				return failed(next, "", ctx.Err())
			}
			// The channel is closing: wait for the next link.
			if err := waitLost(ctx, link.lost, p.done); err != nil {
				return failed(next, "", err)
			}
			continue
		}
		refused := false
		for ; next < sent; next++ {
			select {
			case <-confirms[next].Done():
			case <-ctx.Done():
				// The broker may still confirm it: the caller retries and the
				// consumers' inbox drops the duplicate.
				return failed(next, "unconfirmed: ", ctx.Err())
			}
			if !confirms[next].Acked() {
				refused = true
				break
			}
		}
		switch {
		case next == len(msgs):
			return nil
		case link.ch.IsClosed() || !refused:
			// Not a refusal: the link went away before the confirms came
			// (or before all were sent).
			if err := waitLost(ctx, link.lost, p.done); err != nil {
				return failed(next, "unconfirmed: ", err)
			}
		default:
			// A real nack: the broker could not take the message (an
			// internal error, or a queue over its length limit). Later.
			nacks++
			p.log.Warn("event bus: broker refused a message; retrying", "event", msgs[next].Name, "id", msgs[next].ID, "nacks", nacks)
			if err := sleepCtx(ctx, retryDelay(p.cfg.RetryBackoff, nacks), p.done); err != nil {
				return failed(next, "nacked: ", err)
			}
		}
	}
	return nil
}

func waitLost(ctx context.Context, lost <-chan struct{}, done <-chan struct{}) error {
	select {
	case <-lost:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return eventbus.ErrClosed
	}
}

// close refuses new publishes, waits for those under way (bounded by ctx)
// and closes the link. The caller then stops run by closing done.
func (p *publisher) close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	waited := make(chan struct{})
	go func() {
		p.inflight.Wait()
		close(waited)
	}()
	var err error
	select {
	case <-waited:
	case <-ctx.Done():
		err = fmt.Errorf("rabbitmq: publishes still unconfirmed at close: %w", ctx.Err())
	}
	p.mu.Lock()
	link := p.link
	p.link = nil
	p.mu.Unlock()
	if link != nil {
		_ = link.conn.Close()
	}
	return err
}
