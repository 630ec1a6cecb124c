// Command demo walks the eShop-Go story against a running shop (docker
// compose up, or make run) and prints each step; it exits 1 when a step does
// not happen. Settings: CATALOG_URL, BASKET_URL, ORDERING_URL, PAYMENT_URL
// (defaults http://localhost:8081 … 8084).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/eshop-go/eshop-go/tests/e2e/shop"
)

func main() {
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	story := shop.Story{
		Client: &shop.Client{
			CatalogURL:  env("CATALOG_URL", "http://localhost:8081"),
			BasketURL:   env("BASKET_URL", "http://localhost:8082"),
			OrderingURL: env("ORDERING_URL", "http://localhost:8083"),
			PaymentURL:  env("PAYMENT_URL", "http://localhost:8084"),
		},
		Out: os.Stdout,
	}
	if _, err := story.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "\nDEMO FAILED: %v\n", err)
		os.Exit(1)
	}
}
