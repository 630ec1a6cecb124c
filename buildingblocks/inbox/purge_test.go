package inbox_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const week = 7 * 24 * time.Hour

// addRecords inserts n inbox records of events handled age ago.
func addRecords(t *testing.T, pool *pgxpool.Pool, n int, age time.Duration) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `INSERT INTO integration_event_inbox (event_id, handler, handled_at)
		SELECT gen_random_uuid(), 'test.h', now() - make_interval(secs => $2) FROM generate_series(1, $1)`,
		n, age.Seconds())
	if err != nil {
		t.Fatal(err)
	}
}

// deletes records how many rows each DELETE on the inbox removed.
type deletes struct {
	mu   sync.Mutex
	rows []int64
}

func (d *deletes) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (d *deletes) TraceQueryEnd(_ context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if data.Err == nil && data.CommandTag.Delete() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.rows = append(d.rows, data.CommandTag.RowsAffected())
	}
}

func TestPurgeDeletesOldRecordsInChunksAndKeepsNewerOnes(t *testing.T) {
	ctx := context.Background()
	dbURL := testkit.NewDatabase(t)
	pool := testkit.PoolFor(t, dbURL, nil)
	old, kept := 2*inbox.PurgeChunk+inbox.PurgeChunk/2, 300
	addRecords(t, pool, old, week+time.Hour)
	addRecords(t, pool, kept, week-time.Hour)

	// A pool that reports what each of Purge's statements deleted.
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	traced := &deletes{}
	cfg.ConnConfig.Tracer = traced
	purging, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer purging.Close()

	n, err := inbox.Purge(ctx, purging, week)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(old) {
		t.Errorf("Purge deleted %d records, want the %d older than the retention", n, old)
	}
	want := []int64{inbox.PurgeChunk, inbox.PurgeChunk, inbox.PurgeChunk / 2}
	if !slices.Equal(traced.rows, want) {
		t.Errorf("rows deleted per statement: %v, want %v", traced.rows, want)
	}
	var left, tooOld int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE handled_at < now() - interval '7 days')
		FROM integration_event_inbox`).Scan(&left, &tooOld); err != nil {
		t.Fatal(err)
	}
	if left != kept || tooOld != 0 {
		t.Errorf("%d records left, %d of them older than %s; want the %d newer ones", left, tooOld, week, kept)
	}

	if n, err := inbox.Purge(ctx, purging, week); err != nil || n != 0 {
		t.Errorf("second Purge = %d, %v; want nothing left to delete", n, err)
	}
}

// The inbox forgets a purged record: a copy of that event arriving later is
// handled again. That is why the retention must exceed every redelivery
// window (docs/outbox-inbox.md).
func TestAnEventWhoseRecordWasPurgedIsHandledAgain(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, counters)
	id := uuid.New()
	if err := inbox.Handle(ctx, pool, "test.count", id, increment("c")); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE integration_event_inbox SET handled_at = now() - interval '8 days' WHERE event_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if n, err := inbox.Purge(ctx, pool, week); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want the one record", n, err)
	}
	if err := inbox.Handle(ctx, pool, "test.count", id, increment("c")); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, pool, "c"); got != 2 {
		t.Errorf("counter = %d after a redelivery that came after the purge, want 2 (handled again)", got)
	}
}
