package httpapi

import (
	"bytes"
	"net/http"
	"time"

	"github.com/eshop-go/eshop-go/services/catalog/internal/pictures"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// pictureCSP is the Content-Security-Policy of a picture. An SVG opened as
// a document can run script and load what it references; this policy lets
// it do neither (only its own inline styles apply), whatever a picture
// file held.
const pictureCSP = "default-src 'none'; style-src 'unsafe-inline'"

// pictureCacheControl lets a browser or a proxy (the storefront) reuse a
// picture for an hour before asking again; the ETag makes asking again
// cheap. The hour bounds how long a changed pictureFileName goes unseen.
const pictureCacheControl = "public, max-age=3600"

// getPicture answers the picture of an item: 404 for an unknown item and
// for an item whose pictureFileName names no picture the catalog has, 304
// for an If-None-Match that holds the picture's ETag.
func (h *handlers) getPicture(w http.ResponseWriter, r *http.Request) {
	it, ok := h.item(w, r)
	if !ok {
		return
	}
	pic, ok := pictures.Lookup(it.PictureFileName)
	if !ok {
		httpkit.Fail(w, http.StatusNotFound, "the catalog item has no picture")
		return
	}
	header := w.Header()
	header.Set("Content-Type", pictures.ContentType)
	header.Set("ETag", pic.ETag)
	header.Set("Cache-Control", pictureCacheControl)
	header.Set("Content-Security-Policy", pictureCSP)
	header.Set("X-Content-Type-Options", "nosniff")
	// ServeContent answers If-None-Match (304) and Range requests from the
	// ETag; the pictures have no modification time.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(pic.Body))
}
