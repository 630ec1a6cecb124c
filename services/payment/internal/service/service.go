// Package service wires the payment service: its configuration, the event
// bus, the charge handler and the health endpoints, into a host.Service.
// Payment has no database.
package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/payment/internal/events"
)

// Name is the service's name: its app id on the bus.
const Name = "payment"

// Config is payment's configuration. ConfigFromEnv fills it from the
// environment, with these defaults.
type Config struct {
	HTTPAddr         string        // HTTP_ADDR, ":8084"
	RabbitMQURL      string        // RABBITMQ_URL
	Exchange         string        // EVENTBUS_EXCHANGE, "eshop_event_bus"
	Queue            string        // EVENTBUS_QUEUE, "payment"
	LogLevel         string        // LOG_LEVEL, "info"
	PaymentSucceeded bool          // PAYMENT_SUCCEEDED, true
	ShutdownTimeout  time.Duration // SHUTDOWN_TIMEOUT, 25s
}

// ConfigFromEnv reads the configuration from the environment.
func ConfigFromEnv() (Config, error) {
	succeed, err := host.EnvBool("PAYMENT_SUCCEEDED", true)
	if err != nil {
		return Config{}, err
	}
	shutdown, err := host.EnvDuration("SHUTDOWN_TIMEOUT", 25*time.Second)
	if err != nil {
		return Config{}, err
	}
	return Config{
		HTTPAddr:         host.Env("HTTP_ADDR", ":8084"),
		RabbitMQURL:      host.Env("RABBITMQ_URL", "amqp://guest:guest@localhost:5672/"),
		Exchange:         host.Env("EVENTBUS_EXCHANGE", "eshop_event_bus"),
		Queue:            host.Env("EVENTBUS_QUEUE", "payment"),
		LogLevel:         host.Env("LOG_LEVEL", "info"),
		PaymentSucceeded: succeed,
		ShutdownTimeout:  shutdown,
	}, nil
}

// New builds the payment service. Its Start subscribes the charge handler,
// retried until the broker answers.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (host.Service, error) {
	bus, err := rabbitmq.New(ctx, rabbitmq.Config{
		URL: cfg.RabbitMQURL, Exchange: cfg.Exchange, Queue: cfg.Queue, AppID: Name, Logger: logger,
	})
	if err != nil {
		return host.Service{}, err
	}
	charger := &events.Charger{Publisher: bus, Succeed: cfg.PaymentSucceeded, Logger: logger}

	health := host.NewHealth()
	health.Add("broker", bus.Check)
	router := httpapi.NewRouter(logger)
	router.Get("/healthz", health.Live)
	router.Get("/readyz", health.Ready)

	var (
		startMu    sync.Mutex
		subscribed bool
	)
	start := func(ctx context.Context) error {
		startMu.Lock()
		defer startMu.Unlock()
		if subscribed {
			return nil
		}
		if _, err := eventbus.Subscribe(ctx, bus, charger.Charge); err != nil {
			return err
		}
		subscribed = true
		return nil
	}

	return host.Service{
		Addr:            cfg.HTTPAddr,
		Handler:         router,
		Health:          health,
		Logger:          logger,
		Start:           start,
		ShutdownTimeout: cfg.ShutdownTimeout,
		// Closing the bus lets running handlers finish: their answers are
		// confirmed and their requests acknowledged before the process ends.
		Stop: bus.Close,
	}, nil
}
