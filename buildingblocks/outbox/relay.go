package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
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
	// further failure up to MaxRetryBackoff, with jitter, and the relay
	// retries forever. Defaults DefaultRetryBackoff, DefaultMaxRetryBackoff.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// PublishTimeout bounds the publishing of one batch, after which the
	// batch counts as failed and is retried. Its rows stay locked that long,
	// so a broker outage holds a batch back no longer than this before the
	// relay backs off. Default DefaultPublishTimeout.
	PublishTimeout time.Duration
	// MaxInFlight matters only for a Publisher that is not a
	// [BatchPublisher]: how many messages of a batch it publishes at once.
	// 1 (the default) publishes one after the other, waiting for each
	// confirm, and keeps the order; more pipelines the confirms but lets
	// the messages of one batch overtake each other.
	MaxInFlight int
}

func (c RelayConfig) withDefaults() RelayConfig {
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = DefaultSweepInterval
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.MaxRetryBackoff <= 0 {
		c.MaxRetryBackoff = DefaultMaxRetryBackoff
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 1
	}
	return c
}

// Relay publishes the events of the integration event log to the event
// bus. Run one in every replica of a service that has an outbox.
//
// # Claiming
//
// The relay claims a batch of pending rows, lowest seq first, with SELECT …
// FOR UPDATE SKIP LOCKED in a transaction that it keeps open while it
// publishes them, then marks them published in one UPDATE and commits.
// Several relays on one table therefore take disjoint batches and never
// publish a row twice while nothing fails. If a relay dies, its transaction
// aborts with its connection and the rows are pending and unlocked again
// at once; if its host vanishes silently, the server ends the session after
// PublishTimeout plus half a minute of silence. If publishing fails, the
// rows stay pending (attempts and last_error say why) and the relay backs
// off and tries again, forever; what was confirmed before the failure is
// marked published all the same.
//
// # Order
//
// One relay publishes batch after batch, each in seq order, and starts a
// batch only after the previous one is confirmed and marked. seq is taken
// when a row is inserted, so:
//   - the events of one transaction go out in the order they were added;
//   - if transaction A committed before transaction B inserted its events
//     (one producer writing in sequence, or B caused by A), A's events go
//     out before B's;
//   - transactions that overlap go out in either order.
//
// When publishing fails, what the broker confirmed is marked published and
// the rest is retried, from its lowest seq, so the order holds across
// failures too. What a failure can add is a second copy of a message the
// broker took without the relay learning it (a confirm lost with the
// connection, a BatchPublisher's failed batch, a relay dying before it
// marks), after later ones. Several relays publish their batches side by
// side, in no order relative to each other.
//
// Within a batch the order on the broker is the order of the calls only if
// the Publisher keeps it: a [BatchPublisher], or MaxInFlight 1.
//
// # Waking
//
// An idle relay sleeps until a producer's commit notifies it (LISTEN/NOTIFY
// on a connection of its own) or SweepInterval has passed. Producers send
// the notification only while a relay sleeps (see the advisory lock in
// [AddMessages]), because NOTIFY serializes commits.
//
// # Purging
//
// Published rows older than Retention are deleted in chunks between
// batches, at most once a minute (or once per Retention, if shorter).
type Relay struct {
	pool *pgxpool.Pool
	pub  eventbus.Publisher
	cfg  RelayConfig
	log  *slog.Logger

	listener  *pgx.Conn // nil while not listening
	lastPurge time.Time
}

// NewRelay returns a relay that publishes the events in pool's
// integration_event_log through pub. It does nothing until Run.
func NewRelay(pool *pgxpool.Pool, pub eventbus.Publisher, cfg RelayConfig) *Relay {
	cfg = cfg.withDefaults()
	return &Relay{pool: pool, pub: pub, cfg: cfg, log: cfg.Logger.With("component", "outbox.relay")}
}

// Run publishes until ctx is done, then returns nil. It never gives up:
// while the database or the broker is unreachable it retries with backoff.
// A Relay runs once at a time.
func (r *Relay) Run(ctx context.Context) error {
	defer r.stopListening()
	failures := 0
	for ctx.Err() == nil {
		n, err := r.relayBatch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			delay := backoff(r.cfg.RetryBackoff, r.cfg.MaxRetryBackoff, failures)
			r.log.Warn("outbox: publishing failed; retrying", "err", err, "failures", failures, "retry_in", delay)
			sleep(ctx, delay)
			continue
		}
		if failures > 0 {
			r.log.Info("outbox: publishing again", "after_failures", failures)
			failures = 0
		}
		r.purgeIfDue(ctx)
		if n > 0 {
			continue
		}
		r.waitForWork(ctx)
	}
	return nil
}

const claimBatch = `
SELECT seq, event_id, event_name, created_at, content, app_id, correlation_id, headers
FROM integration_event_log
WHERE state = 'pending'
ORDER BY seq
LIMIT $1
FOR UPDATE SKIP LOCKED`

const markPublished = `
UPDATE integration_event_log
SET state = 'published', published_at = now(), attempts = attempts + 1, last_error = NULL
WHERE seq = ANY($1)`

const recordFailure = `
UPDATE integration_event_log
SET attempts = attempts + 1, last_error = $2
WHERE seq = ANY($1)`

// relayBatch claims, publishes and marks one batch and returns its size.
func (r *Relay) relayBatch(ctx context.Context) (int, error) {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("outbox: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	// One round trip: a silent relay host must not keep its rows locked
	// for ever, and the claim itself.
	idle := r.cfg.PublishTimeout + 30*time.Second
	batch := &pgx.Batch{}
	batch.Queue("SELECT set_config('idle_in_transaction_session_timeout', $1, true)", fmt.Sprint(idle.Milliseconds()))
	batch.Queue(claimBatch, r.cfg.BatchSize)
	results := tx.SendBatch(ctx, batch)
	if _, err := results.Exec(); err != nil {
		results.Close()
		return 0, fmt.Errorf("outbox: claim: %w", err)
	}
	rows, _ := results.Query()
	var (
		seqs []int64
		msgs []eventbus.Message
	)
	for rows.Next() {
		var (
			seq           int64
			m             eventbus.Message
			appID, corrID *string
		)
		if err := rows.Scan(&seq, &m.ID, &m.Name, &m.Time, &m.Body, &appID, &corrID, &m.Headers); err != nil {
			rows.Close()
			results.Close()
			return 0, fmt.Errorf("outbox: claim: %w", err)
		}
		m.Time = m.Time.UTC()
		m.AppID = r.cfg.AppID
		if appID != nil {
			m.AppID = *appID
		}
		if corrID != nil {
			m.CorrelationID = *corrID
		}
		seqs = append(seqs, seq)
		msgs = append(msgs, m)
	}
	rows.Close()
	if err := results.Close(); err != nil {
		return 0, fmt.Errorf("outbox: claim: %w", err)
	}
	if len(msgs) == 0 {
		return 0, nil
	}

	pctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	confirmed, err := r.publish(pctx, msgs)
	cancel()

	// Mark what the broker confirmed even when the rest failed or ctx ends
	// now: the next attempt starts after it, and consumers get fewer
	// duplicates after an outage or a graceful stop.
	var done, failed []int64
	for i, seq := range seqs {
		if confirmed[i] {
			done = append(done, seq)
		} else {
			failed = append(failed, seq)
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	batch = &pgx.Batch{}
	if len(done) > 0 {
		batch.Queue(markPublished, done)
	}
	if len(failed) > 0 {
		batch.Queue(recordFailure, failed, fmt.Sprint(err))
	}
	if berr := tx.SendBatch(fctx, batch).Close(); berr != nil {
		return 0, fmt.Errorf("outbox: mark %d event(s) published: %w", len(done), berr)
	}
	if cerr := tx.Commit(fctx); cerr != nil {
		return 0, fmt.Errorf("outbox: mark %d event(s) published: %w", len(done), cerr)
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: publish %d event(s) from seq %d: %d confirmed: %w", len(msgs), seqs[0], len(done), err)
	}
	return len(msgs), nil
}

// waitForWork returns when there may be work: a producer notified, a
// SweepInterval passed, or ctx is done.
//
// To sleep, the relay takes sleeperLock exclusively on its listening
// connection. That waits for every producer that took the lock shared, and
// therefore did not notify, to commit; the look at the table after it sees
// their events. Producers that come later cannot take the lock and notify.
func (r *Relay) waitForWork(ctx context.Context) {
	if r.listener == nil {
		if err := r.startListening(ctx); err != nil {
			r.listenFailed(ctx, err)
		}
		// Events may have been committed while nobody listened: look.
		return
	}
	conn := r.listener
	// lock_timeout (SweepInterval) bounds the wait, e.g. behind another
	// relay that sleeps: then this one sweeps.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", sleeperLock); err != nil {
		if !hasCode(err, "55P03") { // lock_not_available
			r.listenFailed(ctx, err)
		}
		return
	}
	defer func() {
		if r.listener == nil {
			return // closed, and the lock with it
		}
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", sleeperLock); err != nil {
			r.listenFailed(ctx, err)
		}
	}()

	// Notifications of commits before this point are covered by the look.
	drained, cancel := context.WithCancel(ctx)
	cancel()
	for {
		if n, _ := conn.WaitForNotification(drained); n == nil {
			break
		}
	}
	var pending bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM integration_event_log WHERE state = 'pending' LIMIT 1 FOR UPDATE SKIP LOCKED)`).Scan(&pending); err != nil {
		r.listenFailed(ctx, err)
		return
	}
	if pending {
		return
	}

	wctx, cancel := context.WithTimeout(ctx, r.cfg.SweepInterval)
	defer cancel()
	if _, err := conn.WaitForNotification(wctx); err != nil && wctx.Err() == nil {
		r.listenFailed(ctx, err)
	}
}

// listenFailed drops the listening connection and waits a SweepInterval,
// so that a database that keeps failing is not hammered with reconnects.
func (r *Relay) listenFailed(ctx context.Context, err error) {
	r.stopListening()
	if ctx.Err() != nil {
		return
	}
	r.log.Warn("outbox: listening for commits failed; sweeping meanwhile", "err", err, "every", r.cfg.SweepInterval)
	sleep(ctx, r.cfg.SweepInterval)
}

func (r *Relay) startListening(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, r.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	setup := fmt.Sprintf("LISTEN %s; SET lock_timeout = %d",
		pgx.Identifier{notifyChannel}.Sanitize(), max(r.cfg.SweepInterval.Milliseconds(), 1)) // 0 would mean no timeout
	if _, err := conn.Exec(ctx, setup); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return err
	}
	r.listener = conn
	return nil
}

func (r *Relay) stopListening() {
	if r.listener == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.listener.Close(ctx) // ends the session, and with it sleeperLock
	r.listener = nil
}

// purgeChunk bounds one DELETE, so that purging a large backlog of
// published rows interleaves with publishing instead of stalling it.
const purgeChunk = 2000

const purgePublished = `
DELETE FROM integration_event_log
WHERE seq IN (
	SELECT seq FROM integration_event_log
	WHERE state = 'published' AND published_at < now() - make_interval(secs => $1)
	ORDER BY published_at
	LIMIT $2)`

// purgeIfDue deletes published rows older than Retention, one chunk per
// call, and goes on with the next call while chunks come back full; a
// purge is due again min(Retention, a minute) after the last one finished.
func (r *Relay) purgeIfDue(ctx context.Context) {
	if r.cfg.Retention < 0 || time.Since(r.lastPurge) < min(r.cfg.Retention, time.Minute) {
		return
	}
	tag, err := r.pool.Exec(ctx, purgePublished, r.cfg.Retention.Seconds(), purgeChunk)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("outbox: purging published events failed", "err", err)
		}
		r.lastPurge = time.Now()
		return
	}
	if tag.RowsAffected() < purgeChunk {
		r.lastPurge = time.Now()
	}
}

// Backlog is what a relay has still to publish.
type Backlog struct {
	// Pending is the number of events not yet published.
	Pending int
	// OldestAge is the age of the oldest of them (by its CreationDate), 0
	// when none is pending.
	OldestAge time.Duration
}

// Backlog reports the pending events of the table the relay serves (those
// of every relay on it), for metrics and health checks.
func (r *Relay) Backlog(ctx context.Context) (Backlog, error) {
	var (
		b      Backlog
		oldest *time.Time
	)
	err := r.pool.QueryRow(ctx,
		`SELECT count(*), min(created_at) FROM integration_event_log WHERE state = 'pending'`).Scan(&b.Pending, &oldest)
	if err != nil {
		return Backlog{}, fmt.Errorf("outbox: backlog: %w", err)
	}
	if oldest != nil {
		b.OldestAge = max(time.Since(*oldest), 0)
	}
	return b, nil
}

// backoff returns the delay after the n-th failure in a row: base doubled
// n-1 times, at most limit, with up to 25 % jitter so that replicas that
// failed together do not retry in step.
func backoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func hasCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
