// Package service builds payment out of its parts: the charge handler, on
// the host.App every service has. Payment has no database and no HTTP API
// besides health. cmd/payment runs it; the component tests start it
// in-process.
package service

import (
	"context"
	"log/slog"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/payment/internal/events"
)

// Config is payment's configuration: the settings every service has, and
// its own.
type Config struct {
	host.Config
	// PaymentSucceeded decides every answer: whether charges succeed.
	PaymentSucceeded bool `env:"PAYMENT_SUCCEEDED" envDefault:"true"`
}

// New builds payment. Nothing is contacted yet: the start subscribes the
// charge handler. Closing the bus at the stop lets running handlers finish:
// their answers are confirmed and their requests acknowledged before the
// process ends.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*host.App, error) {
	app, err := host.NewApp(ctx, "payment", cfg.Config, logger)
	if err != nil {
		return nil, err
	}
	handlers := &events.Handlers{Publisher: app.Bus, Succeed: cfg.PaymentSucceeded, Logger: logger}
	app.Subscribe(handlers.Routes()...)
	return app, nil
}
