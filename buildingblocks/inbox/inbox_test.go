package inbox_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/inmem"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"testing/fstest"
)

// counters is the business table of these tests: a handler's effect is to
// add one to a counter.
var counters = fstest.MapFS{"migrations/001_counters.sql": {Data: []byte(
	"CREATE TABLE counters (name text PRIMARY KEY, n int NOT NULL);")}}

func increment(name string) func(ctx context.Context, tx pgx.Tx) error {
	return func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO counters (name, n) VALUES ($1, 1)
			ON CONFLICT (name) DO UPDATE SET n = counters.n + 1`, name)
		return err
	}
}

func counter(t *testing.T, pool *pgxpool.Pool, name string) int {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(), "SELECT coalesce((SELECT n FROM counters WHERE name = $1), 0)", name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func inboxRows(t *testing.T, pool *pgxpool.Pool, eventID uuid.UUID) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM integration_event_inbox WHERE event_id = $1", eventID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDuplicateDeliveryRunsTheHandlerOnce(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, counters)
	id := uuid.New()
	var runs atomic.Int32
	fn := func(ctx context.Context, tx pgx.Tx) error {
		runs.Add(1)
		return increment("c")(ctx, tx)
	}
	for delivery := 1; delivery <= 3; delivery++ {
		if err := inbox.Handle(ctx, pool, "test.count", id, fn); err != nil {
			t.Fatalf("delivery %d: %v", delivery, err)
		}
	}
	if got := runs.Load(); got != 1 {
		t.Errorf("handler ran %d times for one event delivered three times, want 1", got)
	}
	if got := counter(t, pool, "c"); got != 1 {
		t.Errorf("counter = %d, want 1", got)
	}
}

func TestConcurrentDuplicatesHaveOneEffect(t *testing.T) {
	for _, firstFails := range []bool{false, true} {
		name := map[bool]string{false: "first commits", true: "first fails"}[firstFails]
		t.Run(name, func(t *testing.T) { concurrentDuplicates(t, firstFails) })
	}
}

// concurrentDuplicates handles copies of one event at once: the first copy
// to run its handler holds it until every other copy is waiting inside
// Handle, then commits (or fails). The others must then have no effect (or
// exactly one of them must take over).
func concurrentDuplicates(t *testing.T, firstFails bool) {
	ctx := context.Background()
	pool := testkit.NewPool(t, counters)
	id := uuid.New()
	// The pool's default size (4 on this machine's 2 cores) bounds this: the
	// copies and the query that watches them each need a connection.
	const copies = 3
	var runs atomic.Int32
	fn := func(ctx context.Context, tx pgx.Tx) error {
		if runs.Add(1) > 1 {
			return increment("c")(ctx, tx)
		}
		if err := awaitWaitingSessions(ctx, pool, copies-1); err != nil {
			t.Errorf("the duplicates never waited inside Handle: %v", err)
			return err
		}
		if firstFails {
			return errors.New("first copy fails")
		}
		return increment("c")(ctx, tx)
	}
	var wg sync.WaitGroup
	errs := make([]error, copies)
	for i := range copies {
		wg.Go(func() { errs[i] = inbox.Handle(ctx, pool, "test.count", id, fn) })
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			if !firstFails || runs.Load() == 0 {
				t.Fatal(err)
			}
		}
	}
	wantRuns, wantFailed := int32(1), 0
	if firstFails {
		wantRuns, wantFailed = 2, 1
	}
	if got := runs.Load(); got != wantRuns || failed != wantFailed {
		t.Errorf("handler ran %d times (%d failed) for %d simultaneous copies, want %d (%d failed)", got, failed, copies, wantRuns, wantFailed)
	}
	if got := counter(t, pool, "c"); got != 1 {
		t.Errorf("counter = %d, want 1", got)
	}
	if n := inboxRows(t, pool, id); n != 1 {
		t.Errorf("%d inbox records, want 1", n)
	}
}

// awaitWaitingSessions waits until n sessions of this database wait for a
// lock: the duplicates blocked on the first copy's inbox record.
func awaitWaitingSessions(ctx context.Context, pool *pgxpool.Pool, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			return err
		}
		if waiting >= n {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAFailingHandlerLeavesNothingAndSucceedsOnRedelivery(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, counters)
	id := uuid.New()
	boom := errors.New("boom")
	err := inbox.Handle(ctx, pool, "test.count", id, func(ctx context.Context, tx pgx.Tx) error {
		if err := increment("c")(ctx, tx); err != nil {
			return err
		}
		return boom // after its effect: the effect must roll back too
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Handle returned %v, want the handler's error", err)
	}
	if n := inboxRows(t, pool, id); n != 0 {
		t.Fatalf("a failed handling left %d inbox record(s)", n)
	}
	if got := counter(t, pool, "c"); got != 0 {
		t.Fatalf("a failed handling left its effect: counter = %d", got)
	}

	if err := inbox.Handle(ctx, pool, "test.count", id, increment("c")); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if n := inboxRows(t, pool, id); n != 1 {
		t.Errorf("after the redelivery: %d inbox record(s), want 1", n)
	}
	if got := counter(t, pool, "c"); got != 1 {
		t.Errorf("after the redelivery: counter = %d, want 1", got)
	}
}

func TestTwoHandlersOfOneEventRunOnceEach(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, counters)
	id := uuid.New()
	for range 2 {
		for _, h := range []string{"a", "b"} {
			if err := inbox.Handle(ctx, pool, "test."+h, id, increment(h)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if a, b := counter(t, pool, "a"), counter(t, pool, "b"); a != 1 || b != 1 {
		t.Errorf("counters a=%d b=%d, want 1 and 1", a, b)
	}
}

type priceChanged struct {
	eventbus.IntegrationEvent
	ProductID int `json:"ProductId"`
}

func (priceChanged) EventName() string { return "ProductPriceChangedIntegrationEvent" }

func (priceChanged) Publisher() string { return "tests" }

func TestHandlerWithTypedSubscribe(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, counters)
	bus := &inmem.Bus{}
	if _, err := eventbus.Subscribe(ctx, bus, inbox.Handler(pool, "test.price_changed",
		func(ctx context.Context, tx pgx.Tx, e priceChanged) error {
			if e.ProductID != 7 {
				return errors.New("wrong event decoded")
			}
			return increment("price")(ctx, tx)
		})); err != nil {
		t.Fatal(err)
	}
	e := priceChanged{IntegrationEvent: eventbus.NewIntegrationEvent(), ProductID: 7}
	for range 2 { // published twice: a duplicate
		if err := eventbus.Publish(ctx, bus, e); err != nil {
			t.Fatal(err)
		}
	}
	if dead := bus.DeadLetters(); len(dead) != 0 {
		t.Fatalf("handler failed: %d dead letters", len(dead))
	}
	if got := counter(t, pool, "price"); got != 1 {
		t.Errorf("counter = %d after a duplicate, want 1", got)
	}
	if n := inboxRows(t, pool, e.ID); n != 1 {
		t.Errorf("%d inbox records, want 1", n)
	}
}
