// Command basket runs the basket service: buyers' baskets that follow
// catalog prices, and checkout. `basket healthcheck` asks a running
// instance whether it is ready (for container health checks); `basket
// settings` prints the environment variables it reads.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/basket/internal/service"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "basket:", err)
		return 2
	}
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "healthcheck":
			return host.Healthcheck(cfg.HTTPAddr)
		case "settings":
			fmt.Println(strings.Join(host.SettingsRead(), "\n"))
			return 0
		default:
			fmt.Fprintf(os.Stderr, "basket: unknown command %q (known: healthcheck, settings)\n", os.Args[1])
			return 2
		}
	}
	logger, err := host.NewLogger(os.Stderr, cfg.LogLevel, service.Name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "basket:", err)
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
