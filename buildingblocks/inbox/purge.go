package inbox

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// purgeChunk bounds one DELETE, so that purging a large backlog of old rows
// takes short locks and short transactions, between which handlers insert
// as usual.
const purgeChunk = 1000

// purgeHandled deletes one chunk of the oldest records, found through the
// index on handled_at and deleted by their physical address (ctid): a
// chunk then costs the same however large the table. Matched on the
// primary key instead, PostgreSQL plans a scan of the whole table for
// every chunk. Records are never updated, so an address stays theirs.
const purgeHandled = `
DELETE FROM integration_event_inbox
WHERE ctid = ANY (ARRAY(
	SELECT ctid FROM integration_event_inbox
	WHERE handled_at < now() - make_interval(secs => $1)
	ORDER BY handled_at
	LIMIT $2))`

// Purge deletes the records of events handled more than olderThan ago, a
// chunk of rows per statement, until none is left, and returns how many it
// deleted. Several replicas may purge at once.
//
// A record only has to outlive the last copy of its event that can still
// arrive: an event delivered again after its record was purged is handled
// again. So olderThan must exceed every redelivery window (see
// docs/outbox-inbox.md, "Purging the inbox").
func Purge(ctx context.Context, pool *pgxpool.Pool, olderThan time.Duration) (int64, error) {
	var deleted int64
	for {
		tag, err := pool.Exec(ctx, purgeHandled, olderThan.Seconds(), purgeChunk)
		if err != nil {
			return deleted, fmt.Errorf("inbox: purge records older than %s: %w", olderThan, err)
		}
		deleted += tag.RowsAffected()
		if tag.RowsAffected() < purgeChunk {
			return deleted, nil
		}
	}
}
