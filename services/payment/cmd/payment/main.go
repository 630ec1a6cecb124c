// Command payment runs the payment service: it answers ordering's requests
// to charge an order (PAYMENT_SUCCEEDED decides the answer). `payment
// healthcheck` asks a running instance for its readiness (for container
// health checks).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/payment/internal/service"
)

func main() {
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "payment:", err)
		os.Exit(2)
	}
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(host.Healthcheck(cfg.HTTPAddr))
	}
	logger, err := host.NewLogger(os.Stderr, cfg.LogLevel, service.Name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "payment:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	svc, err := service.New(ctx, cfg, logger)
	if err != nil {
		logger.Error("wiring failed", "error", err)
		os.Exit(1)
	}
	if err := host.Run(ctx, svc); err != nil {
		logger.Error("stopped with an error", "error", err)
		os.Exit(1)
	}
}
