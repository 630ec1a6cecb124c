// Package service wires the ordering service: its configuration, the store,
// the event bus, the inbox handlers, the outbox relay, the grace-period
// worker and the HTTP API, into a host.Service.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	sharedpg "github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
	"github.com/eshop-go/eshop-go/services/ordering/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/ordering/internal/postgres"
)

// Name is the service's name: its app id on the bus.
const Name = "ordering"

// Config is ordering's configuration. ConfigFromEnv fills it from the
// environment, with these defaults.
type Config struct {
	HTTPAddr        string        // HTTP_ADDR, ":8083"
	DatabaseURL     string        // DATABASE_URL, orderingdb on localhost
	RabbitMQURL     string        // RABBITMQ_URL
	Exchange        string        // EVENTBUS_EXCHANGE, "eshop_event_bus"
	Queue           string        // EVENTBUS_QUEUE, "ordering"
	LogLevel        string        // LOG_LEVEL, "info"
	GracePeriod     time.Duration // GRACE_PERIOD, 1m: how long a buyer may cancel before stock is reserved
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT, 25s
}

// ConfigFromEnv reads the configuration from the environment.
func ConfigFromEnv() (Config, error) {
	grace, err := host.EnvDuration("GRACE_PERIOD", time.Minute)
	if err != nil {
		return Config{}, err
	}
	shutdown, err := host.EnvDuration("SHUTDOWN_TIMEOUT", 25*time.Second)
	if err != nil {
		return Config{}, err
	}
	return Config{
		HTTPAddr:        host.Env("HTTP_ADDR", ":8083"),
		DatabaseURL:     host.Env("DATABASE_URL", "postgres://postgres@localhost:5432/orderingdb?sslmode=disable"),
		RabbitMQURL:     host.Env("RABBITMQ_URL", "amqp://guest:guest@localhost:5672/"),
		Exchange:        host.Env("EVENTBUS_EXCHANGE", "eshop_event_bus"),
		Queue:           host.Env("EVENTBUS_QUEUE", "ordering"),
		LogLevel:        host.Env("LOG_LEVEL", "info"),
		GracePeriod:     grace,
		ShutdownTimeout: shutdown,
	}, nil
}

// New builds the ordering service. Nothing connects yet: the service's
// Start creates and migrates the database and subscribes the handlers,
// retried until the database and the broker answer; then the outbox relay
// and the grace-period worker run.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (host.Service, error) {
	pool, err := sharedpg.NewPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return host.Service{}, err
	}
	bus, err := rabbitmq.New(ctx, rabbitmq.Config{
		URL: cfg.RabbitMQURL, Exchange: cfg.Exchange, Queue: cfg.Queue, AppID: Name, Logger: logger,
	})
	if err != nil {
		pool.Close()
		return host.Service{}, err
	}
	store := postgres.NewStore(pool, events.StatusEvent)
	relay := outbox.NewRelay(pool, bus, outbox.RelayConfig{AppID: Name, Logger: logger})
	grace := &GracePeriodWorker{GracePeriod: cfg.GracePeriod, Move: store.AwaitValidation, Logger: logger}
	subscriptions := events.Subscriptions(pool, &events.Handlers{Orders: store, Logger: logger})

	health := host.NewHealth()
	health.Add("database", pool.Ping)
	health.Add("broker", bus.Check)

	// Start: create and migrate the database, then subscribe each handler;
	// a start retried after a failure goes on from the step that failed.
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return sharedpg.EnsureDatabase(ctx, cfg.DatabaseURL) },
		func(ctx context.Context) error { return postgres.Migrate(ctx, pool) },
	}
	for _, subscribe := range subscriptions {
		steps = append(steps, func(ctx context.Context) error {
			if _, err := subscribe(ctx, bus); err != nil {
				return fmt.Errorf("subscribe: %w", err)
			}
			return nil
		})
	}

	return host.Service{
		Addr:            cfg.HTTPAddr,
		Handler:         httpapi.NewHandler(logger, store, health),
		Health:          health,
		Logger:          logger,
		Start:           host.Steps(steps...),
		Workers:         []func(context.Context) error{relay.Run, grace.Run},
		ShutdownTimeout: cfg.ShutdownTimeout,
		Stop: func(ctx context.Context) error {
			// The bus first: it lets running handlers finish with the pool.
			err := bus.Close(ctx)
			pool.Close()
			return err
		},
	}, nil
}
