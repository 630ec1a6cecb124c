// Command ordering runs the ordering service: orders made from basket
// checkouts, moved through their statuses by catalog's and payment's
// answers (the order saga). `ordering healthcheck` asks a running instance
// whether it is ready (for container health checks); `ordering settings`
// prints the environment variables it reads.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ordering:", err)
		return 2
	}
	if code, handled := host.Subcommand("ordering", os.Args[1:], cfg.HTTPAddr); handled {
		return code
	}
	logger, err := host.NewLogger(os.Stderr, cfg.LogLevel, "ordering")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ordering:", err)
		return 2
	}
	svc, err := service.New(context.Background(), cfg, logger)
	if err != nil {
		logger.Error("cannot build the service", "error", err)
		return 1
	}
	if err := host.Run(context.Background(), svc); err != nil {
		logger.Error("stopped with an error", "error", err)
		return 1
	}
	return 0
}
