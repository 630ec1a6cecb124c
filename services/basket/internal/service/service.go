// Package service wires the basket service: its configuration, the store,
// the event bus, the inbox handlers, the outbox relay and the HTTP API,
// into a host.Service.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	sharedpg "github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/eshop-go/eshop-go/services/basket/internal/events"
	"github.com/eshop-go/eshop-go/services/basket/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/basket/internal/postgres"
	"github.com/jackc/pgx/v5"
)

// Name is the service's name: its app id on the bus.
const Name = "basket"

// Config is the basket's configuration. ConfigFromEnv fills it from the
// environment, with these defaults.
type Config struct {
	HTTPAddr        string        // HTTP_ADDR, ":8082"
	DatabaseURL     string        // DATABASE_URL, basketdb on localhost
	RabbitMQURL     string        // RABBITMQ_URL
	Exchange        string        // EVENTBUS_EXCHANGE, "eshop_event_bus"
	Queue           string        // EVENTBUS_QUEUE, "basket"
	LogLevel        string        // LOG_LEVEL, "info"
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT, 25s
	// CheckoutRequestRetention is how long an accepted x-requestid is
	// remembered, so that a retried checkout publishes nothing more
	// (CHECKOUT_REQUEST_RETENTION, 168h).
	CheckoutRequestRetention time.Duration
}

// ConfigFromEnv reads the configuration from the environment.
func ConfigFromEnv() (Config, error) {
	shutdown, err := host.EnvDuration("SHUTDOWN_TIMEOUT", 25*time.Second)
	if err != nil {
		return Config{}, err
	}
	retention, err := host.EnvDuration("CHECKOUT_REQUEST_RETENTION", 7*24*time.Hour)
	if err != nil {
		return Config{}, err
	}
	return Config{
		HTTPAddr:        host.Env("HTTP_ADDR", ":8082"),
		DatabaseURL:     host.Env("DATABASE_URL", "postgres://postgres@localhost:5432/basketdb?sslmode=disable"),
		RabbitMQURL:     host.Env("RABBITMQ_URL", "amqp://guest:guest@localhost:5672/"),
		Exchange:        host.Env("EVENTBUS_EXCHANGE", "eshop_event_bus"),
		Queue:           host.Env("EVENTBUS_QUEUE", "basket"),
		LogLevel:        host.Env("LOG_LEVEL", "info"),
		ShutdownTimeout: shutdown,

		CheckoutRequestRetention: retention,
	}, nil
}

// New builds the basket service. Nothing connects yet: the service's Start
// creates and migrates the database and subscribes the handlers, retried
// until the database and the broker answer.
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
	store := postgres.NewStore(pool)
	relay := outbox.NewRelay(pool, bus, outbox.RelayConfig{AppID: Name, Logger: logger})

	health := host.NewHealth()
	health.Add("database", pool.Ping)
	health.Add("broker", bus.Check)

	// Start: create and migrate the database, then subscribe each handler;
	// a start retried after a failure goes on from the step that failed.
	start := host.Steps(
		func(ctx context.Context) error { return sharedpg.EnsureDatabase(ctx, cfg.DatabaseURL) },
		func(ctx context.Context) error { return sharedpg.Migrate(ctx, pool, postgres.Migrations()) },
		func(ctx context.Context) error {
			_, err := eventbus.Subscribe(ctx, bus, logHandled(logger, inbox.Handler(pool, events.PriceChangeHandlerName,
				events.FollowPriceChange(postgres.ApplyPriceChange))))
			return err
		},
		func(ctx context.Context) error {
			_, err := eventbus.Subscribe(ctx, bus, logHandled(logger, inbox.Handler(pool, events.OrderStartedHandlerName,
				events.DeleteOrderedBasket(func(ctx context.Context, tx pgx.Tx, buyerID string) error {
					return postgres.DeleteBasket(ctx, tx, buyerID)
				}))))
			return err
		},
	)

	return host.Service{
		Addr:            cfg.HTTPAddr,
		Handler:         httpapi.NewRouter(logger, store, health),
		Health:          health,
		Logger:          logger,
		Start:           start,
		Workers:         []func(context.Context) error{relay.Run, purgeCheckoutRequests(store, cfg.CheckoutRequestRetention, logger)},
		ShutdownTimeout: cfg.ShutdownTimeout,
		Stop: func(ctx context.Context) error {
			// The bus first: it lets running handlers finish with the pool.
			err := bus.Close(ctx)
			pool.Close()
			return err
		},
	}, nil
}

// logHandled logs each delivery a handler settled, at debug level, also the
// duplicates the inbox skipped. It logs the event's name and id, never its
// body.
func logHandled[E eventbus.Event](logger *slog.Logger, h func(context.Context, E) error) func(context.Context, E) error {
	return func(ctx context.Context, e E) error {
		err := h(ctx, e)
		if err == nil {
			logger.DebugContext(ctx, "event handled", "event", e.EventName(), "event_id", e.EventID().String(),
				"correlation_id", eventbus.CorrelationID(ctx))
		}
		return err
	}
}

// purgeCheckoutRequests returns a worker that forgets old checkout request
// ids every hour (and at once), so that their table does not grow forever.
// A zero retention keeps them.
func purgeCheckoutRequests(store *postgres.Store, retention time.Duration, logger *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		if retention <= 0 {
			return nil
		}
		tick := time.NewTicker(time.Hour)
		defer tick.Stop()
		for {
			n, err := store.PurgeCheckoutRequests(ctx, retention)
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("cannot purge checkout request ids; trying again later", "error", err)
			case n > 0:
				logger.Info("purged checkout request ids", "count", n, "older_than", retention.String())
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}
