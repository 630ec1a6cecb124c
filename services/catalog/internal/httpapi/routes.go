// Package httpapi serves the catalog's HTTP API (/api/catalog, see
// docs/http-api.md and openapi.yaml): items with paging and filters, by ids,
// create, update, delete, an item's picture (pictures.go), and the
// catalog's types and brands. Bad input gets a 400 problem naming the
// fields; nothing is changed. An item's ETag is its version, and an update
// must send back the one it read in If-Match (etag.go).
package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/go-chi/chi/v5"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// Store is what the API needs from the catalog's storage.
type Store interface {
	Item(ctx context.Context, id int64) (catalog.Item, error)
	ItemsByIDs(ctx context.Context, ids []int64) ([]catalog.Item, error)
	Items(ctx context.Context, f catalog.ItemFilter) (catalog.ItemPage, error)
	CreateItem(ctx context.Context, it catalog.Item) (catalog.Item, error)
	// UpdateItem also stores the price change event when the price changed.
	// It returns catalog.ErrStale when the item is no longer at it.Version.
	UpdateItem(ctx context.Context, it catalog.Item) (catalog.Item, error)
	DeleteItem(ctx context.Context, id int64) error
	Types(ctx context.Context) ([]catalog.Type, error)
	Brands(ctx context.Context) ([]catalog.Brand, error)
}

// BasePath is where the API is mounted.
const BasePath = "/api/catalog"

// Mount adds the catalog's routes under BasePath to r. Reading the
// catalog is public; editing it needs a token (authenticate checks it)
// with the admin role.
func Mount(r chi.Router, store Store, authenticate func(http.Handler) http.Handler) {
	h := &handlers{store: store}
	r.Route(BasePath, func(r chi.Router) {
		r.Get("/items", h.listItems)
		r.Get("/items/by", h.itemsByIDs)
		r.Get("/items/{id}", h.getItem)
		r.Get("/items/{id}/pic", h.getPicture)
		r.Get("/catalogtypes", h.listTypes)
		r.Get("/catalogbrands", h.listBrands)
		r.Group(func(r chi.Router) {
			r.Use(authenticate, auth.RequireRole(auth.RoleAdmin))
			r.Post("/items", h.createItem)
			r.Put("/items/{id}", h.updateItem)
			r.Delete("/items/{id}", h.deleteItem)
		})
	})
}

type handlers struct {
	store Store
}

// fail answers an error of the store: 404 for an unknown id, 412 for an
// edit of a version the item no longer has, 400 for field errors, 500
// (logged) for anything else.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var fields catalog.FieldErrors
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		httpkit.Fail(w, http.StatusNotFound, "there is no such catalog item")
	case errors.Is(err, catalog.ErrStale):
		httpkit.Fail(w, http.StatusPreconditionFailed,
			"the item changed since it was read: GET it again and send the edit with its new ETag in If-Match")
	case errors.As(err, &fields):
		httpkit.WriteProblem(w, httpkit.Validation(fields).Err())
	default:
		httpkit.InternalError(w, r, err)
	}
}
