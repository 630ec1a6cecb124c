// Command payment runs the payment service: it answers ordering's requests
// to charge an order (PAYMENT_SUCCEEDED decides the answer). `payment
// healthcheck` asks a running instance whether it is ready (for container
// health checks); `payment settings` prints the environment variables it
// reads.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/payment/internal/service"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "payment:", err)
		return 2
	}
	if code, handled := host.Subcommand("payment", os.Args[1:], cfg.HTTPAddr); handled {
		return code
	}
	logger, err := host.NewLogger(os.Stderr, cfg.LogLevel, "payment")
	if err != nil {
		fmt.Fprintln(os.Stderr, "payment:", err)
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
