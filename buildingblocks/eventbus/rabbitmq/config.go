package rabbitmq

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/internal/defaults"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of [Config]; a zero field takes the default.
const (
	DefaultURL          = "amqp://guest:guest@localhost:5672/"
	DefaultExchange     = "eshop_event_bus"
	DefaultConcurrency  = 16
	DefaultPrefetch     = 256
	DefaultMaxAttempts  = 5
	DefaultRetryBackoff = 200 * time.Millisecond
	// DefaultUnhandledGrace is long enough for a service to subscribe all
	// its handlers at start, one after the other.
	DefaultUnhandledGrace = 10 * time.Second
)

// Timings that are not worth a setting.
const (
	// maxRetryBackoff caps the exponential delay between two attempts of a
	// failing handler, and so the TTL of a message in the wait queue.
	maxRetryBackoff = 10 * time.Second
	// minReconnectDelay and maxReconnectDelay bound the exponential delay
	// between two connection attempts.
	minReconnectDelay = 100 * time.Millisecond
	maxReconnectDelay = 5 * time.Second
	// dialTimeout bounds the TCP connect and the AMQP handshake.
	dialTimeout = 10 * time.Second
	// heartbeat detects a broker or a network that went silent.
	heartbeat = 10 * time.Second
)

// crashLoopDeliveries is how often a message may be delivered without an
// outcome before it is parked unhandled: a guard against a message that
// kills the process each time it is handled. A redelivered message is
// handled alone (see consumer), so its count grows with the deaths of a
// process that was handling it, not with those of one that only held it
// beside another. Far above what rolling restarts add.
const crashLoopDeliveries = 20

// Config configures a [Bus]. The zero value of a field means its default.
type Config struct {
	// URL is the broker's AMQP URL. Default DefaultURL.
	URL string
	// Exchange is the durable topic exchange every service publishes to
	// (binding keys are exact event names). Default DefaultExchange.
	Exchange string
	// Queue is this service's queue (quorum, durable). Only needed to
	// Subscribe and for the dead-letter functions. Its wait queue is
	// "<Queue>.wait", its dead-letter exchange "<Queue>.dlx", its
	// dead-letter queue "<Queue>.dlq" and the exchange through which it
	// sends messages on to its own queues "<Queue>.requeue": a broker user
	// for the service needs rights on these names only (see
	// deploy/rabbitmq/definitions.json).
	Queue string
	// AppID names this service: the app_id of what it publishes and the
	// start of its connection names ("<AppID>-publish", "<AppID>-consume").
	// Default: Queue, or "eshop" without a queue.
	AppID string
	// Prefetch bounds the unacknowledged deliveries the broker sends this
	// process. Default DefaultPrefetch, or 2 × Concurrency if that is more.
	// A large window lets the broker deliver and take acknowledgements in
	// batches, which costs it far less per message; it also means one
	// instance may hold that many messages while other instances idle.
	Prefetch int
	// Concurrency is how many handlers run at once. Default
	// DefaultConcurrency.
	Concurrency int
	// MaxAttempts is how often a failing handler is tried before its message
	// is parked in the dead-letter queue. Default DefaultMaxAttempts.
	MaxAttempts int
	// RetryBackoff is the delay before the second attempt; it doubles with
	// each further attempt (capped at 10s). The message waits in the
	// queue's wait queue meanwhile. Default DefaultRetryBackoff.
	RetryBackoff time.Duration
	// UnhandledGrace is how long a delivery whose event name has no handler
	// waits for one to be subscribed (a service subscribes its handlers one
	// after the other at start, and its queue may already hold messages for
	// those that come next) before it is parked in the dead-letter queue,
	// with the reason "no handler for <event name>". It waits without a
	// handler slot. Default DefaultUnhandledGrace.
	UnhandledGrace time.Duration
	// PublisherUsers maps a publishing service to the broker user it
	// connects as ("*": every service not listed); a service in neither
	// connects as the user named after it, as in
	// deploy/rabbitmq/definitions.json. A message whose user_id is not the
	// user of its event's publisher (eventbus.Route.Publisher) is parked as
	// forged. Where every service shares one user (tests, a development
	// broker as guest) it says so: {"*": "guest"}. See ParsePublisherUsers.
	PublisherUsers map[string]string
	// Logger receives connection and dead-letter events. Default
	// slog.Default().
	Logger *slog.Logger
	// Metrics counts what the bus publishes and handles. Default: nothing
	// is counted.
	Metrics Metrics
	// TracerProvider makes the spans of what the bus publishes and
	// handles. Default otel.GetTracerProvider(), the process's.
	TracerProvider trace.TracerProvider
}

// Outcomes of a delivery, as [Metrics] counts them.
const (
	OutcomeAck        = "ack"         // every handler succeeded
	OutcomeDuplicate  = "duplicate"   // every handler dropped it as already handled (inbox)
	OutcomeRetry      = "retry"       // sent to the wait queue for another attempt
	OutcomeDeadLetter = "dead_letter" // parked in the dead-letter queue
)

// Metrics is told what the bus did (host.App counts it for Prometheus).
type Metrics interface {
	// Sent: the broker confirmed an event published under this name.
	Sent(event string)
	// Consumed: a delivery of this event was settled with outcome, its
	// handlers having taken took (zero if none ran).
	Consumed(event, outcome string, took time.Duration)
}

type noMetrics struct{}

func (noMetrics) Sent(string)                            {}
func (noMetrics) Consumed(string, string, time.Duration) {}

func (c Config) withDefaults() Config {
	c.URL = cmp.Or(c.URL, DefaultURL)
	c.Exchange = cmp.Or(c.Exchange, DefaultExchange)
	c.AppID = cmp.Or(c.AppID, c.Queue, "eshop")
	c.Concurrency = defaults.Positive(c.Concurrency, DefaultConcurrency)
	c.Prefetch = defaults.Positive(c.Prefetch, max(DefaultPrefetch, 2*c.Concurrency))
	c.MaxAttempts = defaults.Positive(c.MaxAttempts, DefaultMaxAttempts)
	c.RetryBackoff = defaults.Positive(c.RetryBackoff, DefaultRetryBackoff)
	c.UnhandledGrace = defaults.Positive(c.UnhandledGrace, DefaultUnhandledGrace)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	c.Metrics = cmp.Or[Metrics](c.Metrics, noMetrics{})
	c.TracerProvider = cmp.Or(c.TracerProvider, otel.GetTracerProvider())
	return c
}
