// Package service builds payment out of its parts: card tokenization (the
// HTTP API) and the charge handler, on the host.App every service has.
// Payment has no database. cmd/payment runs it; the component tests start
// it in-process.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	api "github.com/eshop-go/eshop-go/services/payment"
	"github.com/eshop-go/eshop-go/services/payment/internal/events"
	"github.com/eshop-go/eshop-go/services/payment/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

// Config is payment's configuration: the settings every service has, and
// its own.
type Config struct {
	host.Config
	// PaymentSucceeded decides every answer: whether charges succeed.
	PaymentSucceeded bool `env:"PAYMENT_SUCCEEDED" envDefault:"true"`
	// TokenKey seals the payment tokens (32 bytes, base64). A secret: every
	// replica needs the same one, and it is never printed. Unset, each
	// process makes a random one, and a token opens only where it was made.
	TokenKey payment.TokenKey `env:"PAYMENT_TOKEN_KEY"`
	// TokenTTL is how long a payment token can be charged.
	TokenTTL time.Duration `env:"PAYMENT_TOKEN_TTL" envDefault:"1h"`
	// CORSOrigins are the origins whose pages may call the API: the
	// storefront's.
	CORSOrigins []string `env:"PAYMENT_CORS_ORIGINS" envDefault:"http://localhost:8080" envSeparator:","`
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
	key := cfg.TokenKey
	if key == nil {
		key = payment.RandomTokenKey()
		logger.Warn("PAYMENT_TOKEN_KEY is not set: payment tokens are sealed with a random key of this process; " +
			"another replica, or this one after a restart, cannot charge them")
	}
	tokens, err := payment.NewTokens(key, cfg.TokenTTL)
	if err != nil {
		return nil, err
	}
	httpapi.Mount(app.Router, tokens, cfg.CORSOrigins)
	httpkit.ServeOpenAPI(app.Router, api.OpenAPI)
	handlers := &events.Handlers{Publisher: app.Bus, Tokens: tokens, Spent: &payment.SpentTokens{}, Succeed: cfg.PaymentSucceeded, Logger: logger}
	app.Subscribe(handlers.Routes()...)
	return app, nil
}
