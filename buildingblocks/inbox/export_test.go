package inbox

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// PurgeChunk is purgeChunk, for the test that purges in several chunks.
const PurgeChunk = purgeChunk

// Batcher is the batcher of one Handler, for the tests that fill its queue
// before it runs.
type Batcher = batcher

// NewBatcher is newBatcher.
var NewBatcher = newBatcher

// MaxTransactions is maxTransactions.
const MaxTransactions = maxTransactions

// Handle is handle.
func (b *Batcher) Handle(ctx context.Context, eventID uuid.UUID, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return b.handle(ctx, eventID, fn)
}

// Waiting is how many calls wait for a transaction.
func (b *Batcher) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiting)
}
