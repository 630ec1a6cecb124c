// Command demo walks the eShop-Go story against a running shop (docker
// compose up, or make run) and prints each step; it exits 1 when a step does
// not happen. It also listens on the bus, through a queue of its own, to
// show every status event of the order. Settings: CATALOG_URL, BASKET_URL,
// ORDERING_URL, PAYMENT_URL (defaults http://localhost:8081 … 8084),
// RABBITMQ_URL (default amqp://guest:guest@localhost:5672/) and
// EVENTBUS_EXCHANGE (default eshop_event_bus).
//
// The APIs take bearer tokens (http-api.md, "Access"): the story needs a
// buyer and an admin signed in through identity. Until the demo signs in
// (Story.Buyer and Story.Admin, from identity's login), it stops at once
// saying so.
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
	watcher, err := shop.WatchOrderStatuses(env("RABBITMQ_URL", "amqp://guest:guest@localhost:5672/"), env("EVENTBUS_EXCHANGE", "eshop_event_bus"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "DEMO FAILED: %v\n", err)
		os.Exit(1)
	}
	defer watcher.Close()
	story := shop.Story{
		Watcher: watcher,
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
		watcher.Close()
		os.Exit(1)
	}
}
