package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/go-chi/chi/v5"
)

// maxAPIDocument bounds an OpenAPI document the pages fetch.
const maxAPIDocument = 1 << 20

var apiDocClient = &http.Client{Timeout: 5 * time.Second}

type apisPage struct{ Names []string }

type apiDocPage struct{ Name, Document string }

// apis lists the shop's APIs, each with its OpenAPI document.
func (h *handlers) apis(w http.ResponseWriter, r *http.Request) {
	names := make([]string, 0, len(h.APIDocs))
	for name := range h.APIDocs {
		names = append(names, name)
	}
	slices.Sort(names)
	h.render(w, r, http.StatusOK, "apis", h.newPage(r, "The shop's APIs", apisPage{Names: names}))
}

// apiDoc shows a service's OpenAPI document as text, fetched from the
// service (GET /openapi.yaml) by the webapp: the page loads nothing from
// outside the shop, and the browser needs no access to the service.
func (h *handlers) apiDoc(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "service")
	doc, ok := h.fetchAPIDoc(w, r, name)
	if ok {
		h.render(w, r, http.StatusOK, "apidoc", h.newPage(r, name+"'s API", apiDocPage{Name: name, Document: doc}))
	}
}

// apiDocFile answers the document itself, to save or open in a tool.
func (h *handlers) apiDocFile(w http.ResponseWriter, r *http.Request) {
	doc, ok := h.fetchAPIDoc(w, r, chi.URLParam(r, "service"))
	if ok {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = io.WriteString(w, doc)
	}
}

// fetchAPIDoc fetches the document of the service name, or shows why not.
func (h *handlers) fetchAPIDoc(w http.ResponseWriter, r *http.Request, name string) (string, bool) {
	base, ok := h.APIDocs[name]
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "The shop has no API of that name.")
		return "", false
	}
	doc, err := getAPIDoc(r.Context(), strings.TrimSuffix(base, "/")+"/openapi.yaml")
	if err != nil {
		httpapi.LoggerFrom(r.Context()).WarnContext(r.Context(), "an API document is unavailable", "service", name, "error", err)
		h.errorPage(w, r, http.StatusBadGateway, "The "+name+" service does not answer; please try again in a moment.")
		return "", false
	}
	return doc, true
}

func getAPIDoc(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	res, err := apiDocClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAPIDocument+1))
	if err != nil {
		return "", err
	}
	if len(body) > maxAPIDocument {
		return "", errors.New("the document is larger than 1 MiB")
	}
	return string(body), nil
}
