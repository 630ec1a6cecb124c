// Command demo walks the eShop-Go story against a running shop (docker
// compose up, or make run) and prints each step; it exits 1 when a step does
// not happen. It signs in at identity the way a browser does (authorization
// code with PKCE): as a demo buyer to shop, as the demo admin to change a
// price and ship. It also listens on the bus, through a queue of its own, to
// show every status event of the order. It waits for the order to leave
// Submitted as long as ordering's grace period, which it reads from
// ordering (GET /api/orders/settings): nothing to set when GRACE_PERIOD
// changes. Settings: CATALOG_URL, BASKET_URL,
// ORDERING_URL, PAYMENT_URL (defaults http://localhost:8081 … 8084),
// IDENTITY_URL (default http://localhost:8085), DEMO_BUYER (default
// alice@example.com), DEMO_ADMIN (default admin@example.com),
// IDENTITY_DEMO_PASSWORD (default Pass@word1), RABBITMQ_URL (default the
// read-only events user of deploy/rabbitmq/definitions.json,
// amqp://events:events-demo-password@localhost:5672/) and EVENTBUS_EXCHANGE
// (default eshop_event_bus).
//
// Inside compose or Kubernetes the issuer's public URL (IDENTITY_URL,
// http://localhost:8085: the iss of its tokens and the base of its
// endpoints) is not where a container reaches identity: IDENTITY_INTERNAL_URL
// (e.g. http://identity:8085) sends the requests for it there instead, as
// the webapp does.
package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "\nDEMO FAILED: %v\n", err)
		os.Exit(1)
	}
	identity, password := env("IDENTITY_URL", "http://localhost:8085"), env("IDENTITY_DEMO_PASSWORD", "Pass@word1")
	if internal := os.Getenv("IDENTITY_INTERNAL_URL"); internal != "" {
		if err := reachIdentityAt(identity, internal); err != nil {
			fail(err)
		}
	}
	buyer, err := shop.SignIn(ctx, identity, env("DEMO_BUYER", "alice@example.com"), password)
	if err != nil {
		fail(err)
	}
	admin, err := shop.SignIn(ctx, identity, env("DEMO_ADMIN", "admin@example.com"), password)
	if err != nil {
		fail(err)
	}
	watcher, err := shop.WatchOrderStatuses(env("RABBITMQ_URL", "amqp://events:events-demo-password@localhost:5672/"), env("EVENTBUS_EXCHANGE", "eshop_event_bus"))
	if err != nil {
		fail(err)
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
		Buyer: buyer,
		Admin: admin.Tokens,
		Out:   os.Stdout,
	}
	if _, err := story.Run(ctx); err != nil {
		watcher.Close()
		fail(err)
	}
}

// reachIdentityAt sends every request for the issuer's host to internal's
// host instead, keeping the URL (and the Host header) the issuer knows.
func reachIdentityAt(issuer, internal string) error {
	from, err := url.Parse(issuer)
	if err != nil {
		return fmt.Errorf("IDENTITY_URL: %w", err)
	}
	to, err := url.Parse(internal)
	if err != nil || to.Host == "" {
		return fmt.Errorf("IDENTITY_INTERNAL_URL %q: want http://host:port", internal)
	}
	http.DefaultTransport = rewriteHost{from: from.Host, to: to.Host, next: http.DefaultTransport}
	return nil
}

type rewriteHost struct {
	from, to string
	next     http.RoundTripper
}

func (r rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == r.from {
		req = req.Clone(req.Context())
		req.URL.Host = r.to
		req.Host = r.from
	}
	return r.next.RoundTrip(req)
}
