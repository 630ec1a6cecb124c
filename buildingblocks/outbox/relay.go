package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

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
// Within a batch the order holds too: a [BatchPublisher] gets the whole
// batch in one call and keeps its order; any other Publisher gets one
// message at a time, each after the previous one was confirmed.
//
// # Waking
//
// An idle relay sleeps until a producer's commit notifies it (LISTEN/NOTIFY
// on a connection of its own) or SweepInterval has passed. Producers send
// the notification only while a relay sleeps (see sleeperLock, which [Add]
// tries and a relay going to sleep takes), because NOTIFY serializes
// commits.
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
	delays := &backoff.ExponentialBackOff{
		InitialInterval: r.cfg.RetryBackoff,
		Multiplier:      2,
		MaxInterval:     r.cfg.MaxRetryBackoff,
		// Jitter, so that replicas that failed together do not retry in step.
		RandomizationFactor: 0.25,
	}
	for ctx.Err() == nil {
		failures := 0
		n, err := backoff.Retry(ctx, func() (int, error) { return r.relayBatch(ctx) },
			backoff.WithBackOff(delays),
			backoff.WithMaxElapsedTime(0), // forever
			backoff.WithNotify(func(err error, delay time.Duration) {
				failures++
				r.log.Warn("outbox: publishing failed; retrying", "err", err, "failures", failures, "retry_in", delay.String())
			}))
		if err != nil {
			break // ctx is done: Retry gives up for nothing else
		}
		if failures > 0 {
			r.log.Info("outbox: publishing again", "after_failures", failures)
		}
		r.purgeIfDue(ctx)
		if n == 0 {
			r.waitForWork(ctx)
		}
	}
	return nil
}

const claimBatch = `
SELECT seq, event_id, event_name, created_at, content, app_id, correlation_id, headers, traceparent, tracestate
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

	seqs, msgs, err := r.claim(ctx, tx)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}

	pctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	confirmed, err := r.publish(pctx, msgs)
	cancel()

	// Mark what the broker confirmed even when the rest failed or ctx ends
	// now: the next attempt starts after it, and consumers get fewer
	// duplicates after an outage or a graceful stop.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if serr := settle(fctx, tx, seqs, confirmed, err); serr != nil {
		return 0, fmt.Errorf("outbox: mark %d event(s) published: %w", confirmed, serr)
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: publish %d event(s) from seq %d: %d confirmed: %w", len(msgs), seqs[0], confirmed, err)
	}
	return len(msgs), nil
}

// claim locks the next batch of pending rows in tx and returns them.
func (r *Relay) claim(ctx context.Context, tx pgx.Tx) (seqs []int64, msgs []eventbus.Message, err error) {
	// One round trip: the claim, and a bound on how long the server keeps
	// it when this relay's host goes silent.
	idle := r.cfg.PublishTimeout + 30*time.Second
	batch := &pgx.Batch{}
	batch.Queue("SELECT set_config('idle_in_transaction_session_timeout', $1, true)", fmt.Sprint(idle.Milliseconds()))
	batch.Queue(claimBatch, r.cfg.BatchSize)
	results := tx.SendBatch(ctx, batch)
	defer results.Close()
	if _, err := results.Exec(); err != nil {
		return nil, nil, fmt.Errorf("outbox: claim: %w", err)
	}
	rows, _ := results.Query()
	defer rows.Close()
	for rows.Next() {
		var (
			seq                     int64
			m                       eventbus.Message
			appID, corrID           *string
			traceparent, tracestate *string
		)
		if err := rows.Scan(&seq, &m.ID, &m.Name, &m.Time, &m.Body, &appID, &corrID, &m.Headers, &traceparent, &tracestate); err != nil {
			return nil, nil, fmt.Errorf("outbox: claim: %w", err)
		}
		// The publish continues the trace of the transaction that stored
		// the event (see rabbitmq.Bus.Publish).
		m.Headers = withTraceContext(m.Headers, traceparent, tracestate)
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
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return seqs, msgs, nil
}

// settle marks the first confirmed rows of a claimed batch published,
// records publishErr on the others, and commits.
func settle(ctx context.Context, tx pgx.Tx, seqs []int64, confirmed int, publishErr error) error {
	batch := &pgx.Batch{}
	if confirmed > 0 {
		batch.Queue(markPublished, seqs[:confirmed])
	}
	if confirmed < len(seqs) {
		batch.Queue(recordFailure, seqs[confirmed:], fmt.Sprint(publishErr))
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func hasCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
