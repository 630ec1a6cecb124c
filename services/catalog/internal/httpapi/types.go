package httpapi

import (
	"context"
	"net/http"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
)

type typeJSON struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

type brandJSON struct {
	ID    int64  `json:"id"`
	Brand string `json:"brand"`
}

func (h *handlers) listTypes(w http.ResponseWriter, r *http.Request) {
	writeList(w, r, h.store.Types, func(t catalog.Type) typeJSON { return typeJSON{ID: t.ID, Type: t.Name} })
}

func (h *handlers) listBrands(w http.ResponseWriter, r *http.Request) {
	writeList(w, r, h.store.Brands, func(b catalog.Brand) brandJSON { return brandJSON{ID: b.ID, Brand: b.Name} })
}

// writeList answers what list reads, each as toJSON shows it.
func writeList[T, J any](w http.ResponseWriter, r *http.Request, list func(context.Context) ([]T, error), toJSON func(T) J) {
	all, err := list(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]J, len(all))
	for i, x := range all {
		out[i] = toJSON(x)
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}
