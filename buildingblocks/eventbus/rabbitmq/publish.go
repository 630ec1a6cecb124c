package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/cenkalti/backoff/v5"
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
	cfg     Config
	user    string // the broker user it connects as: the user_id of what it sends
	log     *slog.Logger
	closing context.Context // done once close returns
	stop    context.CancelFunc

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
	ctx  context.Context // done when the link is lost

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
// goes to the next one) or ctx.
func (l *pubLink) whenUnblocked(ctx context.Context) error {
	l.mu.Lock()
	unblocked := l.unblocked
	l.mu.Unlock()
	if unblocked == nil {
		return nil
	}
	select {
	case <-unblocked:
		return nil
	case <-l.ctx.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("rabbitmq: broker blocks publishing: %w", context.Cause(ctx))
	}
}

func newPublisher(cfg Config, user string) *publisher {
	closing, stop := context.WithCancel(context.Background())
	return &publisher{
		cfg:     cfg,
		user:    user,
		log:     cfg.Logger.With("component", "eventbus.rabbitmq.publisher", "app", cfg.AppID),
		closing: closing,
		stop:    stop,
		up:      make(chan struct{}),
	}
}

// run keeps a publishing link up until the bus closes.
func (p *publisher) run() {
	keepLinked(p.closing, p.log, "publishing", func(linked func()) error {
		link, err := p.connect()
		if err != nil {
			p.setLost(err)
			return err
		}
		linked()
		if !p.setLink(link) {
			_ = link.conn.Close()
			return backoff.Permanent(eventbus.ErrClosed)
		}
		select {
		case <-link.ctx.Done():
		case <-p.closing.Done():
			return backoff.Permanent(eventbus.ErrClosed)
		}
		err = errors.New("rabbitmq: publishing connection lost")
		p.setLost(err)
		// Closing the connection resolves the confirms of every channel as
		// nacks, so the waiting publishes retry on the next link.
		_ = link.conn.Close()
		return err
	})
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
	if err := declareExchange(conn, p.cfg.Exchange); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("rabbitmq: %w", err)
	}
	link := &pubLink{conn: conn, ch: ch, ctx: watchLoss(context.Background(), conn, ch)}
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
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("rabbitmq: not connected (%v): %w", lastErr, context.Cause(ctx))
			}
			return nil, fmt.Errorf("rabbitmq: not connected: %w", context.Cause(ctx))
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
// link goes away it sends again at once on the next link, and when the
// broker refuses one, after a backoff; either time in order from the first
// message not confirmed, so the first copies arrive in order (a copy may
// come twice; the consumers' inbox drops it). It gives up only when ctx
// ends or the bus closes.
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

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(p.closing, func() { cancel(eventbus.ErrClosed) })()
	next := 0 // msgs[:next] are confirmed
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		var err error
		next, err = p.send(ctx, msgs, next)
		return struct{}{}, err
	}, backoff.WithBackOff(retryBackoff(p.cfg.RetryBackoff)), backoff.WithMaxElapsedTime(0))
	switch {
	case err == nil:
		return nil
	case len(msgs) == 1:
		return fmt.Errorf("publish %s %s: %w", msgs[0].Name, msgs[0].ID, err)
	}
	return fmt.Errorf("publish batch at %d of %d (%s %s): %w", next+1, len(msgs), msgs[next].Name, msgs[next].ID, err)
}

// send publishes msgs[next:] on the current link and waits for their
// confirms. It returns how far msgs are confirmed and, unless all are, why:
// a permanent error once ctx ended, a retry at once when the link went
// away, the broker's refusal (retried after a backoff) otherwise.
func (p *publisher) send(ctx context.Context, msgs []eventbus.Message, next int) (int, error) {
	link, err := p.current(ctx)
	if err != nil {
		return next, backoff.Permanent(err)
	}
	if err := link.whenUnblocked(ctx); err != nil {
		return next, backoff.Permanent(err)
	}
	confirms := make([]*amqp.DeferredConfirmation, 0, len(msgs)-next)
	for _, m := range msgs[next:] {
		confirm, err := link.ch.PublishWithDeferredConfirmWithContext(ctx, p.cfg.Exchange, m.Name, false, false, publishing(m, p.cfg.AppID, p.user))
		if err != nil {
			break
		}
		confirms = append(confirms, confirm)
	}
	refused := false
	for _, confirm := range confirms {
		select {
		case <-confirm.Done():
		case <-ctx.Done():
			// The broker may still confirm it: the caller retries and the
			// consumers' inbox drops the duplicate.
			return next, backoff.Permanent(fmt.Errorf("unconfirmed: %w", context.Cause(ctx)))
		}
		if !confirm.Acked() {
			refused = true
			break
		}
		p.cfg.Metrics.Sent(msgs[next].Name)
		next++
	}
	switch {
	case next == len(msgs):
		return next, nil
	case ctx.Err() != nil:
		return next, backoff.Permanent(context.Cause(ctx))
	case refused && !link.ch.IsClosed():
		// A real nack: the broker could not take the message (an internal
		// error, or a queue over its length limit). Later.
		p.log.Warn("event bus: broker refused a message; retrying", "event", msgs[next].Name, "id", msgs[next].ID)
		return next, fmt.Errorf("broker refused %s %s", msgs[next].Name, msgs[next].ID)
	}
	// The link went away before the confirms came (or before all were
	// sent): send again as soon as the next link is up.
	select {
	case <-link.ctx.Done():
	case <-ctx.Done():
		return next, backoff.Permanent(fmt.Errorf("unconfirmed: %w", context.Cause(ctx)))
	}
	return next, &backoff.RetryAfterError{}
}

// close refuses new publishes, waits for those under way (bounded by ctx),
// closes the link and stops run.
func (p *publisher) close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := waitGroup(ctx, &p.inflight)
	if err != nil {
		err = fmt.Errorf("rabbitmq: publishes still unconfirmed at close: %w", err)
	}
	p.mu.Lock()
	link := p.link
	p.link = nil
	p.mu.Unlock()
	if link != nil {
		_ = link.conn.Close()
	}
	p.stop()
	return err
}
