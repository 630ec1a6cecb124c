// Package service wires the catalog: its configuration, the database and
// event bus, the HTTP API, the event handlers and the outbox relay, into one
// host.Service that cmd/catalog runs and the component tests start.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	bbpostgres "github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/eshop-go/eshop-go/services/catalog/internal/events"
	"github.com/eshop-go/eshop-go/services/catalog/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/catalog/internal/postgres"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// Config is the catalog's configuration. ConfigFromEnv reads it from the
// environment; a zero field of a Config built in code takes the default.
type Config struct {
	HTTPAddr    string // HTTP_ADDR, default ":8081"
	DatabaseURL string // DATABASE_URL, default the local catalogdb
	RabbitMQURL string // RABBITMQ_URL, default the local broker
	Exchange    string // EVENTBUS_EXCHANGE, default "eshop_event_bus"
	Queue       string // EVENTBUS_QUEUE, default "catalog"
	LogLevel    string // LOG_LEVEL, default "info"
	// SkipSeed leaves an empty catalog empty at start instead of filling it
	// with the sample catalog (CATALOG_SEED=false).
	SkipSeed bool
	// ShutdownTimeout bounds the graceful stop (SHUTDOWN_TIMEOUT, default 25s).
	ShutdownTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultHTTPAddr    = ":8081"
	DefaultDatabaseURL = "postgres://postgres@localhost:5432/catalogdb?sslmode=disable"
	DefaultQueue       = "catalog"
	// AppID is the app_id of the messages the catalog publishes.
	AppID = "catalog"
)

// ConfigFromEnv reads the configuration from the environment.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		HTTPAddr:    host.Env("HTTP_ADDR", DefaultHTTPAddr),
		DatabaseURL: host.Env("DATABASE_URL", DefaultDatabaseURL),
		RabbitMQURL: host.Env("RABBITMQ_URL", rabbitmq.DefaultURL),
		Exchange:    host.Env("EVENTBUS_EXCHANGE", rabbitmq.DefaultExchange),
		Queue:       host.Env("EVENTBUS_QUEUE", DefaultQueue),
		LogLevel:    host.Env("LOG_LEVEL", "info"),
	}
	seed, errSeed := host.EnvBool("CATALOG_SEED", true)
	cfg.SkipSeed = !seed
	var errTimeout error
	cfg.ShutdownTimeout, errTimeout = host.EnvDuration("SHUTDOWN_TIMEOUT", 25*time.Second)
	return cfg, errors.Join(errSeed, errTimeout)
}

func (c Config) withDefaults() Config {
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = DefaultDatabaseURL
	}
	if c.RabbitMQURL == "" {
		c.RabbitMQURL = rabbitmq.DefaultURL
	}
	if c.Exchange == "" {
		c.Exchange = rabbitmq.DefaultExchange
	}
	if c.Queue == "" {
		c.Queue = DefaultQueue
	}
	return c
}

// New builds the catalog service. Nothing is contacted yet: the database and
// the broker may be down. The service's Start creates and migrates the
// database, seeds it, and subscribes the event handlers, retried by
// host.Run until it succeeds; until then /readyz answers 503.
func New(cfg Config, log *slog.Logger) (host.Service, error) {
	cfg = cfg.withDefaults()
	pool, err := bbpostgres.NewPool(context.Background(), cfg.DatabaseURL)
	if err != nil {
		return host.Service{}, err
	}
	bus, err := rabbitmq.New(context.Background(), rabbitmq.Config{
		URL: cfg.RabbitMQURL, Exchange: cfg.Exchange, Queue: cfg.Queue, AppID: AppID,
		Logger: log.With("component", "eventbus"),
	})
	if err != nil {
		pool.Close()
		return host.Service{}, err
	}
	store := postgres.NewStore(pool)
	relay := outbox.NewRelay(pool, bus, outbox.RelayConfig{AppID: AppID, Logger: log.With("component", "outbox")})

	health := host.NewHealth()
	health.Add("database", pool.Ping)
	health.Add("broker", bus.Check)

	router := httpkit.NewRouter(log)
	router.Get("/healthz", health.Live)
	router.Get("/readyz", health.Ready)
	httpapi.Mount(router, store)

	// Start: create and migrate the database, seed it, subscribe the
	// handlers; a start retried after a failure goes on from the step that
	// failed.
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return bbpostgres.EnsureDatabase(ctx, cfg.DatabaseURL) },
		func(ctx context.Context) error { return bbpostgres.Migrate(ctx, pool, postgres.Migrations()) },
	}
	if !cfg.SkipSeed {
		steps = append(steps, store.Seed)
	}
	steps = append(steps, func(ctx context.Context) error {
		return events.Subscribe(ctx, bus, pool, store, log.With("component", "events"))
	})
	start := host.Steps(steps...)

	return host.Service{
		Addr:            cfg.HTTPAddr,
		Handler:         router,
		Health:          health,
		Logger:          log,
		Start:           start,
		Workers:         []func(context.Context) error{relay.Run},
		ShutdownTimeout: cfg.ShutdownTimeout,
		Stop: func(ctx context.Context) error {
			err := bus.Close(ctx)
			pool.Close()
			if err != nil {
				return fmt.Errorf("close the event bus: %w", err)
			}
			return nil
		},
	}, nil
}
