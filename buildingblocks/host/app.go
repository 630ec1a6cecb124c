package host

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// App is one service: what every service has, built by [NewApp], and the
// parts a service's New adds to it. [App.Run] runs it.
//
//	app, err := host.NewApp(ctx, "catalog", cfg.Config, logger)
//	db, err := app.UseDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseConfig, postgres.Migrations)
//	store := postgres.NewStore(db, events.PriceChangeEvent)
//	httpapi.Mount(app.Router, store, app.Auth.Authenticate)
//	handlers := &events.Handlers{Stock: store, Logger: logger}
//	app.Subscribe(handlers.Routes(db)...)
//	return app, nil
//
// (catalog's service.New, its error checks left out.)
//
// Nothing is contacted while it is built: the database and the broker may be
// down. Run starts the HTTP server first (so /healthz answers), then the
// start steps, retried until they succeed, and only then the workers.
type App struct {
	Name   string
	Config Config
	Logger *slog.Logger
	// Router serves /healthz and /readyz; the service mounts its API on it.
	Router chi.Router
	// Bus is the service's event bus: its queue is Config.Queue. It is nil
	// in an app built by [NewAppWithoutEvents].
	Bus *rabbitmq.Bus
	// Auth checks the bearer tokens of the API's guarded routes.
	Auth *auth.Verifier
	// Health reports the start and the checks /readyz runs (the broker, and
	// the database once UseDatabase has added it).
	Health *Health

	db            *pgxpool.Pool
	metrics       *metrics
	steps         []func(context.Context) error
	subscriptions []eventbus.Route
	workers       []func(context.Context) error
}

// NewApp builds the parts every service has: the logger's router with
// health endpoints, the verifier of bearer tokens, and the event bus, which
// publishes with app id name.
func NewApp(ctx context.Context, name string, cfg Config, logger *slog.Logger) (*App, error) {
	a := NewAppWithoutEvents(name, cfg, logger)
	publisherUsers, err := rabbitmq.ParsePublisherUsers(cfg.PublisherUsers)
	if err != nil {
		return nil, fmt.Errorf("EVENTBUS_PUBLISHER_USERS: %w", err)
	}
	busCfg := rabbitmq.Config{
		URL: cfg.RabbitMQURL, Exchange: cfg.Exchange, Queue: cfg.Queue, AppID: name,
		PublisherUsers: publisherUsers, Logger: logger, Metrics: a.metrics,
	}
	bus, err := rabbitmq.New(ctx, busCfg)
	if err != nil {
		return nil, err
	}
	a.Bus = bus
	a.Health.Add("broker", bus.Check)
	if cfg.Queue != "" {
		a.metrics.reg.MustRegister(deadLetterCollector{busCfg})
	}
	return a, nil
}

// NewAppWithoutEvents builds an app for a service that neither publishes
// nor consumes integration events (identity): the router with health
// endpoints and no event bus, so it needs no broker to be ready. Its
// database (UseDatabase) has no outbox relay and no inbox purge, and it
// cannot Subscribe.
func NewAppWithoutEvents(name string, cfg Config, logger *slog.Logger) *App {
	a := &App{Name: name, Config: cfg, Logger: logger, Router: httpapi.NewRouter(logger),
		Auth: auth.NewVerifier(cfg.Auth), Health: NewHealth(), metrics: newMetrics()}
	a.Router.Use(a.metrics.instrument, nameByRoute)
	a.Router.Get("/healthz", a.Health.Live)
	a.Router.Get("/readyz", a.Health.Ready)
	a.Router.Method(http.MethodGet, "/metrics", a.metrics.handler())
	return a
}

// UseDatabase gives the service its PostgreSQL database at databaseURL and
// returns its pool: the start creates the database if it is missing and
// applies the building blocks' migrations (outbox and inbox tables), then
// the service's; the outbox relay and the purge of the inbox (older than
// settings.InboxRetention) run as workers, unless the app has no event bus;
// /readyz checks the database.
func (a *App) UseDatabase(ctx context.Context, databaseURL string, settings DatabaseConfig, migrations fs.FS) (*pgxpool.Pool, error) {
	db, err := postgres.NewPool(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	a.db = db
	a.Health.Add("database", db.Ping)
	a.OnStart(
		func(ctx context.Context) error { return postgres.EnsureDatabase(ctx, databaseURL) },
		func(ctx context.Context) error { return postgres.Migrate(ctx, db, migrations) },
	)
	if a.Bus == nil {
		return db, nil
	}
	a.metrics.reg.MustRegister(outboxCollector{db})
	relay := outbox.NewRelay(db, a.Bus, outbox.RelayConfig{AppID: a.Name, Logger: a.Logger})
	a.Work(relay.Run)
	if settings.InboxRetention > 0 {
		a.Work(PurgeWorker("the inbox", settings.InboxRetention, func(ctx context.Context, olderThan time.Duration) (int64, error) {
			return inbox.Purge(ctx, db, olderThan)
		}, a.Logger))
	}
	return db, nil
}

// OnStart adds steps to the start, run in the order added (seeding a
// database, say). A start retried after a failure goes on from the step
// that failed, so no step that succeeded runs twice.
func (a *App) OnStart(steps ...func(context.Context) error) {
	a.steps = append(a.steps, steps...)
}

// Subscribe adds event handlers. They are subscribed after every other
// start step, so that no event arrives before the database is migrated.
// An app without an event bus cannot subscribe: that is a programming error.
func (a *App) Subscribe(routes ...eventbus.Route) {
	if a.Bus == nil && len(routes) > 0 {
		panic("host: " + a.Name + " has no event bus to subscribe with")
	}
	a.subscriptions = append(a.subscriptions, routes...)
}

// Work adds workers: they run from a successful start until the stop
// begins (the outbox relay, periodic jobs). A worker that returns an error
// before that stops the service.
func (a *App) Work(workers ...func(context.Context) error) {
	a.workers = append(a.workers, workers...)
}

// start is the whole start as Run retries it: the steps, then each
// subscription, each done once.
func (a *App) start() func(context.Context) error {
	list := slices.Clone(a.steps)
	for _, r := range a.subscriptions {
		list = append(list, func(ctx context.Context) error {
			if _, err := a.Bus.Subscribe(ctx, r); err != nil {
				return fmt.Errorf("subscribe to %s: %w", r.EventName, err)
			}
			return nil
		})
	}
	return steps(list...)
}

// Close releases the bus, then the database: closing the bus lets running
// handlers finish with the pool.
func (a *App) Close(ctx context.Context) error {
	var err error
	if a.Bus != nil {
		err = a.Bus.Close(ctx)
	}
	if a.db != nil {
		a.db.Close()
	}
	if err != nil {
		return fmt.Errorf("close the event bus: %w", err)
	}
	return nil
}
