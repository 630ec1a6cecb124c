package host

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
)

// Main is the whole of a service binary's main:
//
//	func main() { host.Main("catalog", ":8081", service.New) }
//
// It reads the service's Config from the environment ([LoadConfig], with
// addr and name as the defaults of HTTP_ADDR and EVENTBUS_QUEUE), answers
// the subcommands every binary has, or builds the service with build and
// runs it ([App.Run]) with JSON logs on stderr (the process's default slog
// logger too) and the tracer provider that OpenTelemetry's environment
// variables describe ([tracing.Setup]), flushed when the service stopped:
//
//	<binary>               run the service until SIGINT or SIGTERM
//	<binary> healthcheck   exit 0 when the instance at HTTP_ADDR is ready (for container health checks)
//	<binary> settings      print the environment variables the binary reads
//	<binary> <command>     one of the service's own commands (identity's rotate-keys)
//
// The process exits 0 after a graceful stop, 1 when the service failed, 2
// for bad settings or an unknown subcommand.
func Main[C any, P ServiceConfig[C]](name, addr string, build func(context.Context, C, *slog.Logger) (*App, error), commands ...Command[C]) {
	os.Exit(runMain[C, P](name, addr, build, commands, os.Args[1:], os.Stdout, os.Stderr))
}

// Command is a subcommand a service's binary has besides healthcheck and
// settings: a one-off task on the service's own resources, run with its
// settings, such as `identity rotate-keys`.
type Command[C any] struct {
	Name string
	// Run does the task; what it prints goes to stdout, its error to
	// stderr with exit status 1.
	Run func(ctx context.Context, cfg C, stdout io.Writer) error
}

func runMain[C any, P ServiceConfig[C]](name, addr string, build func(context.Context, C, *slog.Logger) (*App, error), commands []Command[C], args []string, stdout, stderr io.Writer) int {
	cfg, err := LoadConfig[C, P](name, addr, nil)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	base := P(&cfg).Base()
	if len(args) > 0 {
		switch args[0] {
		case "healthcheck":
			return Healthcheck(base.HTTPAddr)
		case "settings":
			fmt.Fprintln(stdout, strings.Join(Settings[C](), "\n"))
			return 0
		}
		known := []string{"healthcheck", "settings"}
		for _, c := range commands {
			if c.Name == args[0] {
				if err := c.Run(context.Background(), cfg, stdout); err != nil {
					fmt.Fprintf(stderr, "%s %s: %v\n", name, c.Name, err)
					return 1
				}
				return 0
			}
			known = append(known, c.Name)
		}
		fmt.Fprintf(stderr, "%s: unknown command %q (known: %s)\n", name, args[0], strings.Join(known, ", "))
		return 2
	}
	logger := NewLogger(stderr, base.LogLevel, name)
	// Libraries that log through slog's default logger (zitadel/oidc in
	// identity) then write the same JSON lines.
	slog.SetDefault(logger)
	stopTracing, err := tracing.Setup(context.Background(), name, logger)
	if err != nil {
		logger.Error("cannot set up tracing", "error", err)
		return 1
	}
	defer func() {
		// The spans of the stop itself go out too, bounded like the stop.
		ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(base.ShutdownTimeout, 25*time.Second))
		defer cancel()
		if err := stopTracing(ctx); err != nil {
			logger.Warn("tracing: spans not exported at stop", "error", err)
		}
	}()
	app, err := build(context.Background(), cfg, logger)
	if err != nil {
		logger.Error("cannot build the service", "error", err)
		return 1
	}
	if err := app.Run(context.Background()); err != nil {
		logger.Error("stopped with an error", "error", err)
		return 1
	}
	return 0
}
