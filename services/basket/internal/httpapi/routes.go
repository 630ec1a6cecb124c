// Package httpapi is the basket's HTTP API (/api/basket, see openapi.yaml):
// routes, handlers, request and response types, and problem details for
// every bad request.
package httpapi

import (
	"context"
	"net/http"

	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/go-chi/chi/v5"
)

// Store is what the API needs from the basket store.
type Store interface {
	Basket(ctx context.Context, buyerID string) (basket.Basket, error)
	Replace(ctx context.Context, buyerID string, items []basket.Item) (basket.Basket, error)
	Delete(ctx context.Context, buyerID string) error
	// Checkout also stores the event that hands the basket to ordering.
	Checkout(ctx context.Context, c basket.Checkout) (replayed bool, err error)
}

// BasePath is where the API is mounted.
const BasePath = "/api/basket"

// Mount adds the basket's routes under BasePath to r. Each needs a
// buyer's token (authenticate checks it) whose sub is the {buyerId} of the
// path: a buyer only ever reaches their own basket.
func Mount(r chi.Router, store Store, authenticate func(http.Handler) http.Handler) {
	h := &handlers{store: store}
	r.Route(BasePath, func(r chi.Router) {
		r.Use(authenticate)
		r.Get("/{buyerId}", h.getBasket)
		r.Put("/{buyerId}", h.replaceBasket)
		r.Delete("/{buyerId}", h.deleteBasket)
		r.Post("/{buyerId}/checkout", h.checkout)
	})
}

type handlers struct {
	store Store
}
