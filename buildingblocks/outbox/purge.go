package outbox

import (
	"context"
	"time"
)

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
