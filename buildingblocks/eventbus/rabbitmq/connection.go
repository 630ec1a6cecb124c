package rabbitmq

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	amqp "github.com/rabbitmq/amqp091-go"
)

// dial opens a connection that the broker lists under name (the
// connection_name client property, shown by rabbitmqctl and the management
// UI).
func dial(url, name string) (*amqp.Connection, error) {
	return amqp.DialConfig(url, amqp.Config{
		Heartbeat:  heartbeat,
		Locale:     "en_US",
		Dial:       amqp.DefaultDial(dialTimeout),
		Properties: amqp.Table{"connection_name": name},
	})
}

// watchLoss returns a channel that is closed as soon as the connection or any
// of the channels closes, for whatever reason. A link is all or nothing: the
// loss of one channel (e.g. a channel error) is handled like the loss of the
// connection, by a reconnect that re-declares everything.
func watchLoss(conn *amqp.Connection, chans ...*amqp.Channel) <-chan struct{} {
	lost := make(chan struct{})
	var once sync.Once
	watch := func(c chan *amqp.Error) {
		<-c
		once.Do(func() { close(lost) })
	}
	go watch(conn.NotifyClose(make(chan *amqp.Error, 1)))
	for _, ch := range chans {
		go watch(ch.NotifyClose(make(chan *amqp.Error, 1)))
	}
	return lost
}

// backoff is an exponential delay with jitter between min and max.
type backoff struct {
	min, max time.Duration
	next     time.Duration
}

func (b *backoff) reset() { b.next = 0 }

// wait sleeps for the next delay or until done is closed; it reports
// whether the full delay passed.
func (b *backoff) wait(done <-chan struct{}) bool {
	if b.next == 0 {
		b.next = b.min
	}
	d := jitter(b.next)
	b.next = min(2*b.next, b.max)
	return sleep(d, done)
}

// retryDelay is the delay after the n-th failed attempt (n ≥ 1): base,
// 2·base, 4·base … capped at maxRetryBackoff, with jitter.
func retryDelay(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxRetryBackoff; i++ {
		d *= 2
	}
	return jitter(min(d, maxRetryBackoff))
}

// jitter spreads d over [0.8d, 1.2d) so that many clients that lost the
// broker at the same moment do not come back at the same moment.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// sleep waits for d or until done is closed; it reports whether d passed.
func sleep(d time.Duration, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// sleepCtx is sleep bounded by a context as well.
func sleepCtx(ctx context.Context, d time.Duration, done <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return eventbus.ErrClosed
	}
}
