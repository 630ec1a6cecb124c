package host

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/eshop-go/eshop-go/buildingblocks/auth"
)

// Config holds the settings every service has. A service's Config embeds it
// and adds its own, each named, and defaulted, in a struct tag:
//
//	type Config struct {
//		host.Config
//		DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@localhost:5432/catalogdb?sslmode=disable"`
//	}
//
// HTTP_ADDR and EVENTBUS_QUEUE have no default here: [Main] and
// [LoadConfig] give them the service's own address and name.
type Config struct {
	HTTPAddr    string `env:"HTTP_ADDR"`
	RabbitMQURL string `env:"RABBITMQ_URL" envDefault:"amqp://guest:guest@localhost:5672/"`
	Exchange    string `env:"EVENTBUS_EXCHANGE" envDefault:"eshop_event_bus"`
	Queue       string `env:"EVENTBUS_QUEUE"`
	// PublisherUsers names the broker user of each publishing service
	// whose user is not named after it: service=user pairs, "*=guest"
	// for every service (rabbitmq.ParsePublisherUsers). The bus parks an
	// event whose user_id is not its publisher's as forged.
	PublisherUsers  string        `env:"EVENTBUS_PUBLISHER_USERS"`
	LogLevel        slog.Level    `env:"LOG_LEVEL" envDefault:"info"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"25s"`
	// Auth is the issuer whose tokens the API accepts (AUTH_ISSUER,
	// AUTH_AUDIENCE, AUTH_JWKS_URL).
	Auth auth.Config
}

// DatabaseConfig holds the settings every service with a database has,
// besides DATABASE_URL, whose default names the service's own database and
// so is the service's to declare. Such a service embeds it next to
// [Config] and hands it to [App.UseDatabase]:
//
//	type Config struct {
//		host.Config
//		host.DatabaseConfig
//		DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@localhost:5432/catalogdb?sslmode=disable"`
//	}
//
// It is not part of Config so that a service without a database (payment)
// neither reads nor lists these settings.
type DatabaseConfig struct {
	// InboxRetention is how long the inbox remembers that an event was
	// handled; older records are purged. It must exceed the longest time
	// after which a copy of a handled event can still arrive (see
	// docs/outbox-inbox.md). Zero or negative keeps them for ever.
	InboxRetention time.Duration `env:"INBOX_RETENTION" envDefault:"168h"`
}

// Base returns the settings every service has; a service's Config, which
// embeds Config, has it too.
func (c *Config) Base() *Config { return c }

// ServiceConfig is a pointer to a service's Config, which embeds [Config].
type ServiceConfig[C any] interface {
	*C
	Base() *Config
}

// LoadConfig reads a service's Config from environ (variable names to
// values; nil reads the process's environment). Unset variables take their
// tag's default; HTTP_ADDR defaults to addr and EVENTBUS_QUEUE to name. All
// the errors come back joined, each naming its variable.
func LoadConfig[C any, P ServiceConfig[C]](name, addr string, environ map[string]string) (C, error) {
	var cfg C
	base := P(&cfg).Base()
	base.HTTPAddr, base.Queue = addr, name
	// A variable that is not set leaves a field as it is, so the two
	// defaults above hold unless HTTP_ADDR or EVENTBUS_QUEUE is set.
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		return cfg, fmt.Errorf("%s: settings: %w", name, byVariable[C](err))
	}
	return cfg, nil
}

// byVariable rewrites the library's errors, which name Go fields, to name
// the environment variables a user set: "LOG_LEVEL: …".
func byVariable[C any](err error) error {
	var all env.AggregateError
	if !errors.As(err, &all) {
		return err
	}
	errs := make([]error, len(all.Errors))
	for i, e := range all.Errors {
		errs[i] = e
		var parse env.ParseError
		if !errors.As(e, &parse) {
			continue
		}
		if field, ok := reflect.TypeFor[C]().FieldByName(parse.Name); ok {
			variable, _, _ := strings.Cut(field.Tag.Get("env"), ",")
			errs[i] = fmt.Errorf("%s: %w", variable, parse.Err)
		}
	}
	return errors.Join(errs...)
}

// Settings lists the environment variables a service's Config reads, sorted.
func Settings[C any]() []string {
	var cfg C
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		panic(err) // a malformed tag: a programming error, caught by every test
	}
	names := make([]string, 0, len(params))
	for _, p := range params {
		names = append(names, p.Key)
	}
	slices.Sort(names)
	return slices.Compact(names)
}
