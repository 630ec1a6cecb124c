package host

import (
	"context"
	"log/slog"
	"time"
)

// PurgeWorker returns a worker (see [App.Work]) that calls purge at once,
// then every hour (every retention, if that is shorter), to delete what of
// the service's records is older than retention, so that their table does
// not grow for ever: the inbox's, or a service's own. It logs how many
// records went; a failed purge is logged and tried again at the next tick.
func PurgeWorker(what string, retention time.Duration, purge func(context.Context, time.Duration) (int64, error), logger *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		tick := time.NewTicker(min(retention, time.Hour))
		defer tick.Stop()
		for {
			n, err := purge(ctx, retention)
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("cannot purge "+what+"; trying again later", "error", err)
			case n > 0:
				logger.Info("purged "+what, "records", n, "older_than", retention.String())
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}
