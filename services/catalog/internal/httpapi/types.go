package httpapi

import (
	"net/http"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
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
	types, err := h.store.Types(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]typeJSON, len(types))
	for i, t := range types {
		out[i] = typeJSON{ID: t.ID, Type: t.Name}
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

func (h *handlers) listBrands(w http.ResponseWriter, r *http.Request) {
	brands, err := h.store.Brands(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]brandJSON, len(brands))
	for i, b := range brands {
		out[i] = brandJSON{ID: b.ID, Brand: b.Name}
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}
