// Package service builds the webapp, the storefront, out of its parts: the
// pages (package web) over the shop's APIs (shopapi), the sign-in at
// identity (signin), and the order status events it hears on the bus
// (events) fanned out to the open pages (live), on the host.App every
// service has. The webapp has no database: it keeps no basket and no
// order, only sessions, in memory. cmd/webapp runs it; the tests start it
// in-process.
package service

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/webapp/internal/events"
	"github.com/eshop-go/eshop-go/services/webapp/internal/live"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin"
	"github.com/eshop-go/eshop-go/services/webapp/internal/web"
	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
)

// Config is the webapp's configuration: the settings every service has,
// and its own. The AUTH_ settings are read, as by every service, and not
// used: the webapp checks no bearer token; it verifies the ID tokens of
// its sign-ins at IDENTITY_URL.
type Config struct {
	host.Config
	// The APIs, as the webapp reaches them.
	CatalogURL  string `env:"CATALOG_URL" envDefault:"http://localhost:8081"`
	BasketURL   string `env:"BASKET_URL" envDefault:"http://localhost:8082"`
	OrderingURL string `env:"ORDERING_URL" envDefault:"http://localhost:8083"`
	// PaymentURL is payment as the webapp reaches it. The webapp calls it
	// only for its OpenAPI document (the API pages): the card goes from the
	// page to PaymentPublicURL.
	PaymentURL string `env:"PAYMENT_URL" envDefault:"http://localhost:8084"`
	// PaymentPublicURL is payment as the browser reaches it; its origin
	// must be in payment's PAYMENT_CORS_ORIGINS list's view of the
	// storefront, and is in the page's Content-Security-Policy.
	PaymentPublicURL string `env:"PAYMENT_PUBLIC_URL" envDefault:"http://localhost:8084"`
	// IdentityURL is the sign-in service's public URL, the issuer of its
	// tokens; IdentityInternalURL is where the webapp reaches it (unset:
	// at IdentityURL).
	IdentityURL         string `env:"IDENTITY_URL" envDefault:"http://localhost:8085"`
	IdentityInternalURL string `env:"IDENTITY_INTERNAL_URL"`
	// ClientID and ClientSecret are the webapp's at identity.
	ClientID     string `env:"WEBAPP_CLIENT_ID" envDefault:"webapp"`
	ClientSecret string `env:"WEBAPP_CLIENT_SECRET" envDefault:"webapp-secret"`
	// PublicURL is the storefront's URL as the browser opens it: the base
	// of its redirect URIs at identity, and https makes the cookie Secure.
	PublicURL string `env:"WEBAPP_PUBLIC_URL" envDefault:"http://localhost:8080"`
	// SessionKey seals the tokens kept in the sessions. A secret. Unset,
	// each process makes a random one (sessions are in memory anyway).
	SessionKey string `env:"SESSION_KEY"`
	// SessionLifetime is how long a session lasts at most.
	SessionLifetime time.Duration `env:"SESSION_LIFETIME" envDefault:"12h"`
	// MaxAnonymousSessions is how many sessions that are not signed in
	// (a sign-in in progress, a notice) the webapp keeps at most; the
	// least recently used go first. The signed-in ones are not counted.
	MaxAnonymousSessions int `env:"SESSION_MAX_ANONYMOUS" envDefault:"10000"`
	// MaxStreams is how many order status streams (open pages) a
	// signed-in session may have at once.
	MaxStreams int `env:"WEBAPP_MAX_STREAMS" envDefault:"4"`
}

// New builds the webapp. Nothing is contacted yet: the start subscribes
// to the order status events; identity's discovery document is read at
// the first sign-in.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*host.App, error) {
	app, err := host.NewApp(ctx, "webapp", cfg.Config, logger)
	if err != nil {
		return nil, err
	}
	key := []byte(cfg.SessionKey)
	if len(key) == 0 {
		key = []byte(rand.Text())
		logger.Warn("SESSION_KEY is not set: this process seals the sessions' tokens with a random key")
	}
	public := strings.TrimSuffix(cfg.PublicURL, "/")
	sessions := scs.New()
	store, err := signin.NewSessionStore(sessions.Codec, cfg.MaxAnonymousSessions)
	if err != nil {
		return nil, fmt.Errorf("SESSION_MAX_ANONYMOUS: %w", err)
	}
	sessions.Store = store
	sessions.Lifetime = cfg.SessionLifetime
	sessions.IdleTimeout = time.Hour
	sessions.Cookie.Name = "webapp_session"
	sessions.Cookie.HttpOnly = true
	sessions.Cookie.SameSite = http.SameSiteLaxMode
	sessions.Cookie.Secure = strings.HasPrefix(public, "https://")
	sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		httpapi.LoggerFrom(r.Context()).ErrorContext(r.Context(), "the session could not be kept", "error", err)
		http.Error(w, "the session could not be kept", http.StatusInternalServerError)
	}
	accounts, err := signin.New(signin.Config{
		IssuerURL: cfg.IdentityURL, InternalURL: cfg.IdentityInternalURL,
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RedirectURL: public + "/signin-oidc", PostLogoutURL: public + "/signout-callback-oidc",
		Key: key, Lifetime: cfg.SessionLifetime, MaxStreams: cfg.MaxStreams,
	}, sessions)
	if err != nil {
		return nil, err
	}
	pages := &live.Hub{}
	web.Mount(app.Router, web.Deps{
		Catalog: shopapi.NewCatalog(cfg.CatalogURL), Basket: shopapi.NewBasket(cfg.BasketURL), Ordering: shopapi.NewOrdering(cfg.OrderingURL),
		Accounts: accounts, Sessions: sessions, Live: pages,
		PaymentPublicURL: cfg.PaymentPublicURL, IdentityURL: cfg.IdentityURL,
		APIDocs: map[string]string{"catalog": cfg.CatalogURL, "basket": cfg.BasketURL, "ordering": cfg.OrderingURL, "payment": cfg.PaymentURL},
	})
	// The open streams end when the stop begins, so that the server's
	// graceful shutdown does not wait for them.
	app.Work(func(ctx context.Context) error {
		<-ctx.Done()
		pages.Close()
		return nil
	})
	handlers := &events.Handlers{Pages: pages}
	app.Subscribe(handlers.Routes()...)
	return app, nil
}
