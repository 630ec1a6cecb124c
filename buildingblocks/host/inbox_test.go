package host_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// A service with a database purges its inbox: UseDatabase adds the worker,
// which runs once the start succeeded.
func TestAServiceWithADatabasePurgesItsInbox(t *testing.T) {
	ctx := context.Background()
	dbURL := testkit.NewDatabase(t)
	pool := testkit.PoolFor(t, dbURL, nil) // migrated: the records can go in before the service starts
	if _, err := pool.Exec(ctx, `INSERT INTO integration_event_inbox (event_id, handler, handled_at)
		SELECT gen_random_uuid(), 'test.h', now() - make_interval(hours => g) FROM generate_series(1, 48) g`); err != nil {
		t.Fatal(err)
	}

	exchange, prefix := testkit.Broker(t)
	cfg, err := host.LoadConfig[testConfig]("hosttest", testkit.FreeAddr(t), map[string]string{
		"RABBITMQ_URL": testkit.RabbitURL(), "EVENTBUS_EXCHANGE": exchange, "EVENTBUS_QUEUE": prefix + "_hosttest",
		"DATABASE_URL": dbURL, "INBOX_RETENTION": "24h30m",
	})
	if err != nil {
		t.Fatal(err)
	}
	app, err := host.NewApp(ctx, "hosttest", cfg.Config, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.UseDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseConfig, nil); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	var left, oldest int
	testkit.WaitFor(t, "the records older than the retention purged", func() bool {
		err := pool.QueryRow(ctx, `SELECT count(*), coalesce(max(extract(epoch FROM now() - handled_at))::int, 0)
			FROM integration_event_inbox`).Scan(&left, &oldest)
		return err == nil && oldest < int((24*time.Hour+30*time.Minute).Seconds())
	})
	if left != 24 {
		t.Errorf("%d records left, want the 24 handled within the retention", left)
	}
}
