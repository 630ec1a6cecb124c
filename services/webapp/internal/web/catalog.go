package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
	"github.com/go-chi/chi/v5"
)

// pageSize is how many products the catalog shows at once.
const pageSize = 12

type catalogPage struct {
	Filter     shopapi.Filter
	Brands     []shopapi.Brand
	Types      []shopapi.Type
	Items      []shopapi.Item
	Count      int
	PageNumber int // 1-based
	Pages      int
	Prev, Next string // the paging links, or ""
}

// catalog is GET /: the grid, filtered by brand, type and name prefix.
func (h *handlers) catalog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := shopapi.Filter{Name: strings.TrimSpace(q.Get("name")), Size: pageSize}
	var bad []string
	f.Brand, bad = optionalID(q, "brand", bad)
	f.Type, bad = optionalID(q, "type", bad)
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 100000 {
			bad = append(bad, "page must be a page number from 0")
		}
		f.Page = n
	}
	if len(f.Name) > 100 {
		bad = append(bad, "the search is at most 100 characters")
	}
	if len(bad) > 0 {
		h.errorPage(w, r, http.StatusBadRequest, bad...)
		return
	}
	items, err := h.Catalog.Items(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	brands, err := h.Catalog.Brands(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	types, err := h.Catalog.Types(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c := catalogPage{Filter: f, Brands: brands, Types: types, Items: items.Data, Count: items.Count,
		PageNumber: f.Page + 1, Pages: max(1, (items.Count+pageSize-1)/pageSize)}
	if f.Page > 0 {
		c.Prev = pageLink(f, f.Page-1)
	}
	if (f.Page+1)*pageSize < items.Count {
		c.Next = pageLink(f, f.Page+1)
	}
	h.render(w, r, http.StatusOK, "catalog", h.newPage(r, "Catalog", c))
}

// optionalID reads an id parameter: absent or empty is 0 (all).
func optionalID(q url.Values, name string, bad []string) (int64, []string) {
	v := q.Get(name)
	if v == "" {
		return 0, bad
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, append(bad, name+" must be an id")
	}
	return id, bad
}

// pageLink is the catalog's URL for page n with f's filters.
func pageLink(f shopapi.Filter, n int) string {
	q := f.Values()
	q.Set("page", strconv.Itoa(n))
	return "/?" + q.Encode()
}

type itemPage struct{ Item shopapi.Item }

// item is GET /items/{id}.
func (h *handlers) item(w http.ResponseWriter, r *http.Request) {
	it, _, ok := h.pathItem(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "item", h.newPage(r, it.Name, itemPage{it}))
}

// picture is GET /pics/{id}: catalog's picture of the item, through the
// webapp, so the page loads nothing from elsewhere, with catalog's headers.
// It has no session (see Mount): a bad id is a plain 404, not the error
// page.
func (h *handlers) picture(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 || id > 1<<31-1 {
		http.NotFound(w, r)
		return
	}
	pic, err := h.Catalog.Picture(r.Context(), id, r.Header.Get("If-None-Match"))
	if err != nil {
		status := http.StatusBadGateway
		if shopapi.IsStatus(err, http.StatusNotFound) {
			status = http.StatusNotFound
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	defer pic.Body.Close()
	// Catalog's Content-Security-Policy replaces the pages': an SVG opened
	// as a document here may do no more than on catalog's origin.
	for _, k := range []string{"Content-Type", "Cache-Control", "ETag", "Last-Modified", "Content-Security-Policy"} {
		if v := pic.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(pic.Status)
	_, _ = io.Copy(w, pic.Body)
}

// pathID reads a positive id from the path, or answers 404.
func (h *handlers) pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	raw := chi.URLParam(r, name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || id > 1<<31-1 && name != "orderNumber" {
		h.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("There is no %q here.", raw))
		return 0, false
	}
	return id, true
}

// pathItem reads from catalog the item the path's id names, with its ETag.
// When the id is bad or the item cannot be read, it has answered the error
// page and ok is false.
func (h *handlers) pathItem(w http.ResponseWriter, r *http.Request) (it shopapi.Item, etag string, ok bool) {
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return shopapi.Item{}, "", false
	}
	it, etag, err := h.Catalog.Item(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return shopapi.Item{}, "", false
	}
	return it, etag, true
}
