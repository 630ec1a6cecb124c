package inbox

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Batching. A commit costs a round trip and a flush of the write-ahead log
// to disk, and a transaction two more round trips (BEGIN, the inbox row),
// whatever it holds. So the calls of one [Handler] that arrive while
// others are in flight share transactions: at most maxTransactions of a
// handler are under way, and each takes every call waiting when it
// begins, up to maxBatch. A call that finds a transaction free runs at
// once, alone, so a quiet consumer waits for nobody.
//
// Every call keeps its own outcome. It returns only after its transaction
// committed (the transport acks then), a duplicate is skipped without
// running its handler (whether its first copy was handled before or is in
// the same batch), and an error goes to its own call only: when a batch's
// transaction fails (a handler's error, a lock conflict with another
// batch), nothing of it is kept and its calls are handled again one per
// transaction, exactly as [Handle] does, so a bad event fails alone and the
// batch's other events commit.
const (
	maxTransactions = 4
	maxBatch        = 64
)

// batcher groups the calls of one handler into shared transactions.
type batcher struct {
	pool        *pgxpool.Pool
	handlerName string

	mu      sync.Mutex
	waiting []*call
	running int // transactions under way (goroutines in work)
}

// call is one event to handle, and where its outcome goes.
type call struct {
	ctx     context.Context
	eventID uuid.UUID
	fn      func(ctx context.Context, tx pgx.Tx) error
	done    chan error // buffered: the worker never waits for the caller
}

func newBatcher(pool *pgxpool.Pool, handlerName string) *batcher {
	return &batcher{pool: pool, handlerName: handlerName}
}

// handle runs fn for eventID as Handle does, in a transaction shared with
// the calls waiting at the same time.
func (b *batcher) handle(ctx context.Context, eventID uuid.UUID, fn func(ctx context.Context, tx pgx.Tx) error) error {
	c := &call{ctx: ctx, eventID: eventID, fn: fn, done: make(chan error, 1)}
	b.mu.Lock()
	b.waiting = append(b.waiting, c)
	if b.running < maxTransactions {
		b.running++
		go b.work()
	}
	b.mu.Unlock()
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
		// Its transaction, if it starts, fails with this context; if it
		// committed just now, the redelivery is skipped as a duplicate.
		return fmt.Errorf("inbox: %s: event %s: %w", b.handlerName, eventID, context.Cause(ctx))
	}
}

// work runs transactions for the waiting calls until none is left.
func (b *batcher) work() {
	for {
		b.mu.Lock()
		n := min(len(b.waiting), maxBatch)
		if n == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		calls := make([]*call, n)
		copy(calls, b.waiting)
		b.waiting = append(b.waiting[:0], b.waiting[n:]...)
		b.mu.Unlock()

		if len(calls) > 1 && b.commitBatch(calls) == nil {
			continue
		}
		for _, c := range calls {
			c.done <- Handle(c.ctx, b.pool, b.handlerName, c.eventID, recovering(c.fn))
		}
	}
}

// recordBatch inserts the inbox rows of a batch at once and returns the
// ids that were not there: the events handled for the first time.
const recordBatch = `
INSERT INTO integration_event_inbox (event_id, handler)
SELECT unnest($1::uuid[]), $2
ON CONFLICT DO NOTHING
RETURNING event_id`

// commitBatch handles calls in one transaction and reports each one's
// outcome, or, if anything fails, rolls back, reports nothing and returns
// why. The transaction runs under the context of the first call.
func (b *batcher) commitBatch(calls []*call) error {
	ctx := calls[0].ctx
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	// In order, so that two batches that hold copies of the same events
	// wait for each other's rows without deadlocking.
	ids := make([]uuid.UUID, len(calls))
	for i, c := range calls {
		ids[i] = c.eventID
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	rows, _ := tx.Query(ctx, recordBatch, ids, b.handlerName)
	firstTime, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	run := make(map[uuid.UUID]bool, len(firstTime))
	for _, id := range firstTime {
		run[id] = true
	}
	duplicates := make([]*call, 0)
	for _, c := range calls {
		if !run[c.eventID] {
			duplicates = append(duplicates, c)
			continue
		}
		run[c.eventID] = false // a second copy in this batch is a duplicate
		if err := recovering(c.fn)(c.ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	for _, c := range duplicates {
		eventbus.Skipped(c.ctx)
	}
	for _, c := range calls {
		c.done <- nil
	}
	return nil
}

// recovering turns a panic of fn into an error, as the transport does for
// a handler: fn runs on a goroutine of the batcher, not the transport's.
func recovering(fn func(ctx context.Context, tx pgx.Tx) error) func(ctx context.Context, tx pgx.Tx) error {
	return func(ctx context.Context, tx pgx.Tx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("handler panicked: %v", r)
			}
		}()
		return fn(ctx, tx)
	}
}
