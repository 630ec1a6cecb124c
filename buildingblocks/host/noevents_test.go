package host_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// A service without events (identity) is ready with its database alone:
// no broker is contacted, even at an address where none listens.
func TestAServiceWithoutEventsNeedsNoBroker(t *testing.T) {
	ctx := context.Background()
	cfg, err := host.LoadConfig[testConfig]("hosttest", testkit.FreeAddr(t), map[string]string{
		"RABBITMQ_URL": "amqp://guest:guest@" + testkit.FreeAddr(t) + "/", "DATABASE_URL": testkit.NewDatabase(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	app := host.NewAppWithoutEvents("hosttest", cfg.Config, slog.New(slog.DiscardHandler))
	if _, err := app.UseDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseConfig, nil); err != nil {
		t.Fatal(err)
	}
	testkit.RunService(t, app) // stopped when the test ends
	testkit.WaitFor(t, "ready", func() bool { code, _ := readyz(cfg.HTTPAddr); return code == http.StatusOK })
	_, body := readyz(cfg.HTTPAddr)
	checks, _ := body["checks"].(map[string]any)
	if _, ok := checks["broker"]; ok {
		t.Errorf("/readyz checks a broker: %v", body)
	}
	if _, ok := checks["database"]; !ok {
		t.Errorf("/readyz does not check the database: %v", body)
	}
}
