package outbox

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/internal/defaults"
)

// Defaults of [RelayConfig]; a zero field takes the default.
const (
	DefaultBatchSize       = 500
	DefaultSweepInterval   = time.Second
	DefaultRetention       = 24 * time.Hour
	DefaultRetryBackoff    = 100 * time.Millisecond
	DefaultMaxRetryBackoff = 10 * time.Second
	DefaultPublishTimeout  = 30 * time.Second
)

// RelayConfig configures a [Relay]. The zero value of a field means its
// default.
type RelayConfig struct {
	// BatchSize is the most rows one claim takes and publishes at once.
	// Default DefaultBatchSize.
	BatchSize int
	// SweepInterval is how often an idle relay looks at the table without
	// being notified: the fallback for a lost notification or a broken
	// listening connection. Default DefaultSweepInterval.
	SweepInterval time.Duration
	// Retention is how long published rows stay in the table (for
	// inspection) before the relay deletes them. Default DefaultRetention;
	// negative keeps them forever.
	Retention time.Duration
	// AppID is the app_id of messages stored without one. Empty leaves that
	// to the transport, which uses its own.
	AppID string
	// Logger receives failures and recoveries. Default slog.Default().
	Logger *slog.Logger
	// RetryBackoff is the delay after a batch failed; it doubles with each
	// further failure up to MaxRetryBackoff, each delay randomized by
	// ±25 %, and the relay retries forever. Defaults DefaultRetryBackoff,
	// DefaultMaxRetryBackoff.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// PublishTimeout bounds the publishing of one batch: what is not
	// confirmed by then counts as failed and is retried after the backoff.
	// Default DefaultPublishTimeout.
	PublishTimeout time.Duration
}

func (c RelayConfig) withDefaults() RelayConfig {
	c.BatchSize = defaults.Positive(c.BatchSize, DefaultBatchSize)
	c.SweepInterval = defaults.Positive(c.SweepInterval, DefaultSweepInterval)
	c.Retention = cmp.Or(c.Retention, DefaultRetention)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	c.RetryBackoff = defaults.Positive(c.RetryBackoff, DefaultRetryBackoff)
	c.MaxRetryBackoff = defaults.Positive(c.MaxRetryBackoff, DefaultMaxRetryBackoff)
	c.PublishTimeout = defaults.Positive(c.PublishTimeout, DefaultPublishTimeout)
	return c
}
