// Package service builds the basket out of its parts: the store, the HTTP
// API, the event handlers and the purge of old checkout request ids, on the
// host.App every service has. cmd/basket runs it; the component tests start
// it in-process.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	api "github.com/eshop-go/eshop-go/services/basket"
	"github.com/eshop-go/eshop-go/services/basket/internal/events"
	"github.com/eshop-go/eshop-go/services/basket/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/basket/internal/postgres"
)

// Config is the basket's configuration: the settings every service has,
// and its own.
type Config struct {
	host.Config
	host.DatabaseConfig
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@localhost:5432/basketdb?sslmode=disable"`
	// CheckoutRequestRetention is how long an accepted x-requestid is
	// remembered, so that a retried checkout publishes nothing more. Zero
	// remembers them for ever.
	CheckoutRequestRetention time.Duration `env:"CHECKOUT_REQUEST_RETENTION" envDefault:"168h"`
}

// New builds the basket. Nothing is contacted yet: the start creates and
// migrates the database and subscribes the handlers.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*host.App, error) {
	app, err := host.NewApp(ctx, "basket", cfg.Config, logger)
	if err != nil {
		return nil, err
	}
	db, err := app.UseDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseConfig, postgres.Migrations)
	if err != nil {
		return nil, err
	}
	store := postgres.NewStore(db, events.CheckoutAcceptedEvent)
	httpapi.Mount(app.Router, store, app.Auth.Authenticate)
	httpkit.ServeOpenAPI(app.Router, api.OpenAPI)
	if cfg.CheckoutRequestRetention > 0 {
		app.Work(host.PurgeWorker("checkout request ids", cfg.CheckoutRequestRetention, store.PurgeCheckoutRequests, logger))
	}
	handlers := &events.Handlers{Store: store, Logger: logger}
	app.Subscribe(handlers.Routes(db)...)
	return app, nil
}
