// Package service builds the identity service out of its parts: the store,
// the OpenID Connect provider, the login page, the demo users and the key
// rotation, on a host.App without events (identity publishes and consumes
// none, so it needs no broker). cmd/identity runs it; the component tests
// start it in-process.
package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/identity/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/eshop-go/eshop-go/services/identity/internal/postgres"
	"github.com/eshop-go/eshop-go/services/identity/internal/provider"
	"github.com/go-chi/httprate"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Config is the identity service's configuration: the settings every
// service with a database has, and its own. RABBITMQ_URL, the EVENTBUS_
// settings and INBOX_RETENTION are read, as by every such service, but not
// used: identity has no event bus and no inbox.
type Config struct {
	host.Config
	host.DatabaseConfig
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@localhost:5432/identitydb?sslmode=disable"`
	// Issuer is the provider's public URL: the iss of its tokens, and the
	// base of the URLs its discovery document names.
	Issuer string `env:"IDENTITY_ISSUER" envDefault:"http://localhost:8085"`
	// Clients are the applications that may ask for tokens, a JSON array
	// (identity.Client). The default suits make run and compose.
	Clients identity.Clients `env:"IDENTITY_CLIENTS" envDefault:"[{\"id\":\"webapp\",\"secret\":\"webapp-secret\",\"redirect_uris\":[\"http://localhost:8080/signin-oidc\"],\"post_logout_redirect_uris\":[\"http://localhost:8080/signout-callback-oidc\"]},{\"id\":\"demo\",\"redirect_uris\":[\"http://localhost:8765/callback\"],\"post_logout_redirect_uris\":[\"http://localhost:8765/signed-out\"]},{\"id\":\"machine\",\"secret\":\"machine-secret\"}]"`
	// DemoPassword is the password of the demo users an empty database
	// gets. A secret: never logged.
	DemoPassword string `env:"IDENTITY_DEMO_PASSWORD" envDefault:"Pass@word1"`
	// PasswordCost is the bcrypt cost of the password hashes it makes.
	PasswordCost int `env:"IDENTITY_PASSWORD_COST" envDefault:"10"`
	// CookieKey signs the login form's CSRF tokens and keys what the
	// provider encrypts. Unset, each process makes a random one: a login
	// form then works only with the instance that showed it.
	CookieKey string `env:"IDENTITY_COOKIE_KEY"`
	// KeySeal seals the signing keys in the database (AES-GCM under a key
	// derived from it). A secret, the same on every instance. Unset, a
	// demo-only value in the source seals them (and the log says so);
	// changed, the keys sealed before no longer open and a new key is made
	// at the start.
	KeySeal string `env:"IDENTITY_KEY_SEAL"`
	// KeyRotation is the age of the signing key after which a new one
	// signs; the previous one stays published until the next rotation.
	// Zero never rotates.
	KeyRotation time.Duration `env:"IDENTITY_KEY_ROTATION" envDefault:"720h"`
	// TrustedProxies are the addresses or ranges (CIDR, comma-separated)
	// of the proxies in front of identity (an ingress) whose
	// X-Forwarded-For tells the client's address to the sign-in throttle.
	// Empty trusts none: the throttle keys on the peer's address.
	TrustedProxies []string `env:"IDENTITY_TRUSTED_PROXIES" envSeparator:","`
	// AuthorizeRate is how many sign-ins one client address may begin
	// (GET or POST /authorize) a minute; more are answered 429.
	AuthorizeRate int `env:"IDENTITY_AUTHORIZE_RATE" envDefault:"60"`
}

// New builds the identity service. Nothing is contacted yet: the start
// creates and migrates the database, makes the first signing key and seeds
// the demo users.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*host.App, error) {
	if cfg.AuthorizeRate < 1 {
		return nil, fmt.Errorf("IDENTITY_AUTHORIZE_RATE: %d is not a positive number of sign-ins a minute", cfg.AuthorizeRate)
	}
	if cfg.PasswordCost < identity.PasswordCostMin || cfg.PasswordCost > identity.PasswordCostMax {
		return nil, fmt.Errorf("IDENTITY_PASSWORD_COST: %d is not between %d and %d", cfg.PasswordCost, identity.PasswordCostMin, identity.PasswordCostMax)
	}
	clientAddress, err := httpapi.NewClientAddress(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("IDENTITY_TRUSTED_PROXIES: %w", err)
	}
	unknownUserHash, err := identity.HashPassword(rand.Text(), cfg.PasswordCost)
	if err != nil {
		return nil, err
	}
	app := host.NewAppWithoutEvents("identity", cfg.Config, logger)
	db, err := app.UseDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseConfig, postgres.Migrations)
	if err != nil {
		return nil, err
	}
	keySeal := cfg.KeySeal
	if keySeal == "" {
		keySeal = demoKeySeal
		logger.Warn("IDENTITY_KEY_SEAL is not set: the signing keys are sealed with a demo-only key that is in the source")
	}
	store := postgres.NewStore(db, []byte(keySeal))
	issuer := strings.TrimSuffix(cfg.Issuer, "/")
	secret := []byte(cfg.CookieKey)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		rand.Read(secret)
		logger.Warn("IDENTITY_COOKIE_KEY is not set: this process uses a random key, so a login form works only with the instance that showed it")
	}
	storage := provider.NewStorage(store, cfg.Clients, issuer+httpapi.LoginPath+"?authRequestID=")
	oidcProvider, endpoints, err := provider.New(issuer, storage, derive(secret, "provider"))
	if err != nil {
		return nil, err
	}
	callback := op.AuthCallbackURL(oidcProvider)
	csrfKey := derive(secret, "csrf")
	httpapi.Mount(app.Router, &httpapi.Login{
		Store:           store,
		Callback:        func(ctx context.Context, id string) string { return callback(op.ContextWithIssuer(ctx, issuer), id) },
		Key:             csrfKey[:],
		SecureCookies:   strings.HasPrefix(issuer, "https://"),
		UnknownUserHash: unknownUserHash,
		ClientAddress:   clientAddress,
	}, provider.LoggedOutPath)
	// Each sign-in begun is kept for a while: one address may begin only
	// so many a minute (go-chi/httprate's sliding window, keyed as the
	// sign-in throttle is).
	limitAuthorize := httprate.Limit(cfg.AuthorizeRate, time.Minute, httprate.WithKeyFuncs(func(r *http.Request) (string, error) {
		return clientAddress.Of(r), nil
	}))
	app.Router.With(limitAuthorize).Handle(authorizePath, endpoints)
	app.Router.Mount("/", endpoints)

	app.OnStart(
		store.SealClearKeys,
		func(ctx context.Context) error { _, err := store.RotateKeysOlderThan(ctx, cfg.KeyRotation); return err },
		func(ctx context.Context) error { return store.SeedDemoUsers(ctx, cfg.DemoPassword, cfg.PasswordCost) },
	)
	app.Work(host.PurgeWorker("expired sign-ins, refresh tokens and failure counts", time.Hour, store.PurgeExpired, logger))
	if cfg.KeyRotation > 0 {
		app.Work(rotateKeys(store, cfg.KeyRotation, logger))
	}
	return app, nil
}

// demoKeySeal seals the signing keys when IDENTITY_KEY_SEAL is not set
// (make run, the tests): it is public, so it protects nothing.
const demoKeySeal = "demo-only-key-seal-do-not-use-in-prod"

// authorizePath is the provider's authorization endpoint (zitadel/oidc's
// default).
const authorizePath = "/authorize"

// derive makes a key for one purpose out of the cookie secret.
func derive(secret []byte, purpose string) [32]byte {
	return sha256.Sum256(append([]byte(purpose+"|"), secret...))
}

// rotateKeys is a worker that checks, every tenth of maxAge (at most every
// hour), whether the signing key is older than maxAge and if so makes a new
// one. Instances that check together make one key.
func rotateKeys(store *postgres.Store, maxAge time.Duration, logger *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		tick := time.NewTicker(min(maxAge/10, time.Hour))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
			rotated, err := store.RotateKeysOlderThan(ctx, maxAge)
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("cannot rotate the signing key; trying again later", "error", err)
			case rotated:
				logger.Info("rotated the signing key", "max_age", maxAge.String())
			}
		}
	}
}
