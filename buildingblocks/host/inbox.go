package host

import (
	"context"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/jackc/pgx/v5/pgxpool"
)

// purgeInbox returns a worker that deletes the inbox records older than
// retention at once, then every hour (every retention, if that is
// shorter). A failed purge is logged and tried again at the next tick.
func purgeInbox(db *pgxpool.Pool, retention time.Duration, logger *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		tick := time.NewTicker(min(retention, time.Hour))
		defer tick.Stop()
		for {
			n, err := inbox.Purge(ctx, db, retention)
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("cannot purge the inbox; trying again later", "error", err)
			case n > 0:
				logger.Info("purged the inbox", "records", n, "older_than", retention.String())
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}
