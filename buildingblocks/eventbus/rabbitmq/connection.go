package rabbitmq

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
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

// watchLoss returns a context that ends with parent or as soon as the
// connection or any of the channels closes, for whatever reason. A link is
// all or nothing: the loss of one channel (e.g. a channel error) is handled
// like the loss of the connection, by a reconnect that re-declares
// everything.
func watchLoss(parent context.Context, conn *amqp.Connection, chans ...*amqp.Channel) context.Context {
	ctx, lost := context.WithCancel(parent)
	watch := func(c chan *amqp.Error) {
		<-c
		lost()
	}
	go watch(conn.NotifyClose(make(chan *amqp.Error, 1)))
	for _, ch := range chans {
		go watch(ch.NotifyClose(make(chan *amqp.Error, 1)))
	}
	return ctx
}

// reconnectBackoff is the delay between two connection attempts:
// exponential from minReconnectDelay to maxReconnectDelay, with jitter so
// that many clients that lost the broker at the same moment do not come
// back at the same moment.
func reconnectBackoff() *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{
		InitialInterval:     minReconnectDelay,
		RandomizationFactor: 0.2,
		Multiplier:          2,
		MaxInterval:         maxReconnectDelay,
	}
}

// keepLinked runs link again each time it fails, until ctx ends or it
// fails with backoff.Permanent: after a failed connect it waits with
// exponential backoff, after a lost link only briefly (link calls linked
// once connected). what names the link in the log.
func keepLinked(ctx context.Context, log *slog.Logger, what string, link func(linked func()) error) {
	delay := reconnectBackoff()
	_, _ = backoff.Retry(ctx, func() (struct{}, error) {
		return struct{}{}, link(delay.Reset)
	}, backoff.WithBackOff(delay), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, wait time.Duration) {
		log.Warn("event bus: "+what+" link down; reconnecting", "err", err, "in", wait)
	}))
}

// retryBackoff is the delay between two attempts of a failing handler, or
// two publishes the broker refused: base, 2·base, 4·base … capped at
// maxRetryBackoff, with jitter.
func retryBackoff(base time.Duration) *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{
		InitialInterval:     base,
		RandomizationFactor: 0.2,
		Multiplier:          2,
		MaxInterval:         maxRetryBackoff,
	}
}

// retryDelay is how long a message waits after its n-th failed attempt:
// the n-th delay of retryBackoff.
func retryDelay(base time.Duration, n int) time.Duration {
	b := retryBackoff(base)
	var d time.Duration
	for range n {
		d = b.NextBackOff()
	}
	return d
}

// waitGroup waits for wg, bounded by ctx.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
