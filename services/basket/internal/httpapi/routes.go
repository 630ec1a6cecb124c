// Package httpapi is the basket's HTTP API (/api/basket, see openapi.yaml):
// routes, handlers, request and response types, and problem details for
// every bad request.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	sharedhttp "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/go-chi/chi/v5"
)

// Store is what the API needs from the basket store.
type Store interface {
	Basket(ctx context.Context, buyerID string) (basket.Basket, error)
	Replace(ctx context.Context, buyerID string, items []basket.Item) (basket.Basket, error)
	Delete(ctx context.Context, buyerID string) error
	Checkout(ctx context.Context, c basket.Checkout, accepted func(basket.Basket) eventbus.Event) (replayed bool, err error)
}

// Probes answers the liveness and readiness checks (host.Health).
type Probes interface {
	Live(w http.ResponseWriter, r *http.Request)
	Ready(w http.ResponseWriter, r *http.Request)
}

// NewRouter returns the basket's routes with the middleware every service
// uses, /healthz and /readyz included.
func NewRouter(logger *slog.Logger, store Store, probes Probes) chi.Router {
	h := &handlers{store: store}
	r := sharedhttp.NewRouter(logger)
	r.Get("/healthz", probes.Live)
	r.Get("/readyz", probes.Ready)
	r.Get("/api/basket/{buyerId}", h.getBasket)
	r.Put("/api/basket/{buyerId}", h.replaceBasket)
	r.Delete("/api/basket/{buyerId}", h.deleteBasket)
	r.Post("/api/basket/{buyerId}/checkout", h.checkout)
	return r
}

type handlers struct {
	store Store
}
