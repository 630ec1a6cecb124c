package rabbitmq

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/trace"
)

// Bus is the RabbitMQ event bus. It publishes on one connection and
// consumes on another, and keeps both up by itself: create it with [New],
// use it from any number of goroutines, and [Bus.Close] it at shutdown.
type Bus struct {
	cfg    Config
	tracer trace.Tracer
	pub    *publisher
	sub    *consumer
	done   chan struct{}

	closeOnce sync.Once
	closeErr  error
}

var _ eventbus.Bus = (*Bus)(nil)

// New returns a bus for cfg. It does not wait for the broker and does not
// fail when the broker is down: it connects in the background, and again
// with backoff whenever the connection goes away; [Bus.Check] says whether
// it is connected. Only an invalid configuration is an error. ctx is not
// retained.
func New(ctx context.Context, cfg Config) (*Bus, error) {
	cfg = cfg.withDefaults()
	uri, err := amqp.ParseURI(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("rabbitmq: invalid URL: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := &Bus{cfg: cfg, tracer: cfg.TracerProvider.Tracer(tracerName), done: make(chan struct{})}
	b.pub = newPublisher(cfg, uri.Username)
	b.sub = newConsumer(cfg)
	go b.pub.run()
	return b, nil
}

// Publish publishes m to the exchange with its name as routing key and
// returns once the broker confirmed it. While the broker is unreachable it
// waits, bounded by ctx, and sends the message again on the next
// connection. An error means the message may or may not have been
// published: the caller tries again (an outbox does) and consumers drop the
// duplicate.
//
// It is traced as a producer span "publish <event>", the child of the
// trace context in m.Headers (traceparent: the outbox's) or else of ctx's
// span; the message carries the span's context to its consumers.
func (b *Bus) Publish(ctx context.Context, m eventbus.Message) error {
	traced, span := startPublish(ctx, b.tracer, m)
	err := b.pub.publish(ctx, traced)
	endPublish(span, b.cfg.Exchange, m, err)
	return err
}

// PublishBatch publishes msgs in the order given, their confirms pipelined,
// and returns once the broker confirmed every one (outbox.BatchPublisher:
// how the outbox relay sends a batch both fast and in order). After a lost
// connection or a refusal it sends again from the first unconfirmed
// message; during an outage it waits, bounded by ctx. Each message is
// traced as [Bus.Publish] says; when the batch fails, every span records
// the error.
func (b *Bus) PublishBatch(ctx context.Context, msgs []eventbus.Message) error {
	traced, spans := startPublishBatch(ctx, b.tracer, msgs)
	err := b.pub.publishBatch(ctx, traced)
	for i, span := range spans {
		endPublish(span, b.cfg.Exchange, msgs[i], err)
	}
	return err
}

// Subscribe registers the route's handler for its event name. The first
// handler of a name binds the queue to it; Subscribe returns once that
// binding is in place, waiting for the broker (bounded by ctx) if it is
// down. Several handlers of one name each receive every message. The
// handler's ctx carries the message's correlation id
// ([eventbus.CorrelationID]). The route must name the event's publisher:
// a message whose user_id is not that publisher's broker user
// (Config.PublisherUsers) is parked as forged.
func (b *Bus) Subscribe(ctx context.Context, r eventbus.Route) (eventbus.Subscription, error) {
	return b.sub.subscribe(ctx, r)
}

// Check reports whether the bus is connected to the broker: nil when the
// publishing connection is up and, once something was subscribed, the
// consuming one too. It is meant for readiness probes.
func (b *Bus) Check(ctx context.Context) error {
	select {
	case <-b.done:
		return eventbus.ErrClosed
	default:
	}
	if err := b.pub.connected(); err != nil {
		return fmt.Errorf("rabbitmq: publishing: %w", err)
	}
	if err := b.sub.connected(); err != nil {
		return fmt.Errorf("rabbitmq: consuming: %w", err)
	}
	return ctx.Err()
}

// Close shuts the bus down gracefully: it stops taking deliveries, waits
// for the running handlers and then for the publishes under way (handlers
// may publish), bounded by ctx, and closes the connections. Messages that
// were not acknowledged go back to the queue. Later calls return the first
// call's result.
func (b *Bus) Close(ctx context.Context) error {
	b.closeOnce.Do(func() {
		errSub := b.sub.close(ctx)
		errPub := b.pub.close(ctx)
		close(b.done)
		b.closeErr = errors.Join(errSub, errPub)
	})
	return b.closeErr
}
