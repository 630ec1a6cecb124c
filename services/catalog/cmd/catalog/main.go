// Command catalog runs the catalog service: the product catalog, its prices
// and its stock. `catalog healthcheck` asks a running instance whether it is
// ready (for container health checks); `catalog settings` prints the
// environment variables it reads.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

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
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "healthcheck":
			return host.Healthcheck(cfg.HTTPAddr)
		case "settings":
			fmt.Println(strings.Join(host.SettingsRead(), "\n"))
			return 0
		default:
			fmt.Fprintf(os.Stderr, "catalog: unknown command %q (known: healthcheck, settings)\n", os.Args[1])
			return 2
		}
	}
	log, err := host.NewLogger(os.Stderr, cfg.LogLevel, "catalog")
	if err != nil {
		fmt.Fprintln(os.Stderr, "catalog:", err)
		return 2
	}
	svc, err := service.New(cfg, log)
	if err != nil {
		log.Error("cannot build the service", "error", err)
		return 1
	}
	if err := host.Run(context.Background(), svc); err != nil {
		log.Error("stopped with an error", "error", err)
		return 1
	}
	return 0
}
