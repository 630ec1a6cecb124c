// Package service builds the catalog out of its parts: the store, the HTTP
// API, the event handlers and the seed, on the host.App every service has.
// cmd/catalog runs it; the component tests start it in-process.
package service

import (
	"context"
	"log/slog"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	api "github.com/eshop-go/eshop-go/services/catalog"
	"github.com/eshop-go/eshop-go/services/catalog/internal/events"
	"github.com/eshop-go/eshop-go/services/catalog/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/catalog/internal/postgres"
)

// Config is the catalog's configuration: the settings every service has,
// and its own.
type Config struct {
	host.Config
	host.DatabaseConfig
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@localhost:5432/catalogdb?sslmode=disable"`
	// Seed fills an empty catalog with the sample catalog at start.
	Seed bool `env:"CATALOG_SEED" envDefault:"true"`
}

// New builds the catalog. Nothing is contacted yet: the start creates and
// migrates the database, seeds it and subscribes the handlers.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*host.App, error) {
	app, err := host.NewApp(ctx, "catalog", cfg.Config, logger)
	if err != nil {
		return nil, err
	}
	db, err := app.UseDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseConfig, postgres.Migrations)
	if err != nil {
		return nil, err
	}
	store := postgres.NewStore(db, events.PriceChangeEvent)
	httpapi.Mount(app.Router, store, app.Auth.Authenticate)
	httpkit.ServeOpenAPI(app.Router, api.OpenAPI)
	if cfg.Seed {
		app.OnStart(store.Seed)
	}
	handlers := &events.Handlers{Stock: store, Logger: logger}
	app.Subscribe(handlers.Routes(db)...)
	return app, nil
}
