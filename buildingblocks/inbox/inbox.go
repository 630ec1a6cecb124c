// Package inbox makes event handlers idempotent: a handler runs in a
// PostgreSQL transaction that also records "event X was handled by handler
// H" (the integration_event_inbox table, created by postgres.Migrate). Its
// effects and that record commit together, so an event that is delivered
// again, or twice at once, has no second effect; and a handler that fails
// leaves neither, so the redelivery runs it afresh.
package inbox

import (
	"context"
	"fmt"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Handle runs fn in a transaction that also records (eventID, handlerName)
// and commits both. If that pair is already recorded, the event was handled
// before: Handle returns nil without running fn. If fn returns an error,
// everything rolls back and Handle returns it, so the transport retries.
//
// A duplicate delivered while the first is still being handled waits on
// the first one's record: it is skipped once the first commits, and runs if
// the first rolls back.
//
// handlerName identifies the handler, not the event: two handlers of one
// event each run once. Keep it stable across releases (e.g.
// "basket.price_changed").
func Handle(ctx context.Context, pool *pgxpool.Pool, handlerName string, eventID uuid.UUID, fn func(ctx context.Context, tx pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("inbox: %s: begin: %w", handlerName, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	tag, err := tx.Exec(ctx,
		`INSERT INTO integration_event_inbox (event_id, handler) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		eventID, handlerName)
	if err != nil {
		return fmt.Errorf("inbox: %s: record event %s: %w", handlerName, eventID, err)
	}
	if tag.RowsAffected() == 0 {
		eventbus.Skipped(ctx)
		return nil // handled before
	}
	if err := fn(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("inbox: %s: commit event %s: %w", handlerName, eventID, err)
	}
	return nil
}

// Handler adapts a typed handler that works in the inbox transaction to
// what eventbus.On (and eventbus.Subscribe) takes, as a service lists it:
//
//	eventbus.On(inbox.Handler(db, "basket.follow_price_change", h.FollowPriceChange))
//
// where h.FollowPriceChange is a func(ctx context.Context, tx pgx.Tx, e
// ProductPriceChangedIntegrationEvent) error.
//
// Events the handler causes can be stored with outbox.Add in the same tx.
//
// Calls that arrive while others are in flight share a transaction, one
// commit for many events (see batch.go); each keeps the outcome Handle
// would give it alone.
func Handler[E eventbus.Event](pool *pgxpool.Pool, handlerName string, fn func(ctx context.Context, tx pgx.Tx, e E) error) func(context.Context, E) error {
	b := newBatcher(pool, handlerName)
	return func(ctx context.Context, e E) error {
		return b.handle(ctx, e.EventID(), func(ctx context.Context, tx pgx.Tx) error {
			return fn(ctx, tx, e)
		})
	}
}
