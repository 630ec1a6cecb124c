package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// ServeOpenAPI serves doc, the service's OpenAPI document (embedded from
// its openapi.yaml), at GET /openapi.yaml, public: the storefront's API
// page links it.
func ServeOpenAPI(r chi.Router, doc []byte) {
	r.Get("/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(doc)
	})
}
