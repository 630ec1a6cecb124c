package service

import (
	"context"
	"log/slog"
	"time"
)

// gracePeriodBatch is how many orders one claim moves at most; a longer
// backlog is worked off batch after batch without waiting.
const gracePeriodBatch = 100

// awaitValidation is what the grace-period worker needs of the store.
type awaitValidation func(ctx context.Context, gracePeriod time.Duration, batch int) ([]int64, error)

// GracePeriodWorker moves the orders that stayed Submitted for the grace
// period (the time a buyer has to cancel for free) to AwaitingValidation,
// which asks catalog to reserve their stock. Several replicas may run it
// on one database: the store claims orders with FOR UPDATE SKIP LOCKED, so
// each order moves exactly once.
type GracePeriodWorker struct {
	GracePeriod time.Duration
	Move        awaitValidation
	Logger      *slog.Logger
}

// PollInterval is how often the worker looks for due orders: a quarter of
// the grace period, between 100ms and 5s, so an order waits at most that
// much longer than its grace period.
func (w *GracePeriodWorker) PollInterval() time.Duration {
	return min(max(w.GracePeriod/4, 100*time.Millisecond), 5*time.Second)
}

// Run moves due orders until ctx is done, then returns nil. A failing
// database is logged and tried again at the next poll.
func (w *GracePeriodWorker) Run(ctx context.Context) error {
	ticker := time.NewTicker(w.PollInterval())
	defer ticker.Stop()
	for {
		for {
			moved, err := w.Move(ctx, w.GracePeriod, gracePeriodBatch)
			if err != nil {
				if ctx.Err() == nil {
					w.Logger.WarnContext(ctx, "grace period: moving orders failed, will retry", "error", err)
				}
				break
			}
			if len(moved) > 0 {
				w.Logger.InfoContext(ctx, "grace period over: orders await validation", "orders", moved)
			}
			if len(moved) < gracePeriodBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}
