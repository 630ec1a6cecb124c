// Package service builds ordering out of its parts: the store, the HTTP
// API, the event handlers and the grace-period worker, on the host.App
// every service has. cmd/ordering runs it; the component tests start it
// in-process.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	api "github.com/eshop-go/eshop-go/services/ordering"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
	"github.com/eshop-go/eshop-go/services/ordering/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/ordering/internal/postgres"
)

// Config is ordering's configuration: the settings every service has, and
// its own.
type Config struct {
	host.Config
	host.DatabaseConfig
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@localhost:5432/orderingdb?sslmode=disable"`
	// GracePeriod is how long a buyer may cancel an order before its stock
	// is reserved.
	GracePeriod time.Duration `env:"GRACE_PERIOD" envDefault:"1m"`
}

// New builds ordering. Nothing is contacted yet: the start creates and
// migrates the database and subscribes the handlers; then the outbox relay
// and the grace-period worker run.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*host.App, error) {
	app, err := host.NewApp(ctx, "ordering", cfg.Config, logger)
	if err != nil {
		return nil, err
	}
	db, err := app.UseDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseConfig, postgres.Migrations)
	if err != nil {
		return nil, err
	}
	store := postgres.NewStore(db, events.StatusEvent)
	httpapi.Mount(app.Router, store, httpapi.Settings{GracePeriod: cfg.GracePeriod}, app.Auth.Authenticate)
	httpkit.ServeOpenAPI(app.Router, api.OpenAPI)
	grace := &GracePeriodWorker{GracePeriod: cfg.GracePeriod, Move: store.AwaitValidation, Logger: logger}
	app.Work(grace.Run)
	handlers := &events.Handlers{Orders: store, Logger: logger}
	app.Subscribe(handlers.Routes(db)...)
	return app, nil
}
