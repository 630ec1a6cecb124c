// Command catalog runs the catalog service: the product catalog, its prices
// and its stock. `catalog healthcheck` asks a running instance whether it is
// ready (for container health checks); `catalog settings` prints the
// environment variables it reads.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/catalog/internal/service"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "catalog:", err)
		return 2
	}
	if code, handled := host.Subcommand("catalog", os.Args[1:], cfg.HTTPAddr); handled {
		return code
	}
	logger, err := host.NewLogger(os.Stderr, cfg.LogLevel, "catalog")
	if err != nil {
		fmt.Fprintln(os.Stderr, "catalog:", err)
		return 2
	}
	svc, err := service.New(cfg, logger)
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
