package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

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
	select {
	case <-ctx.Done():
	case <-time.After(r.cfg.SweepInterval):
	}
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
