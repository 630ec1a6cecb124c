package httpapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// itemJSON is an item on the wire. Requests leave id out (or, for PUT,
// repeat the id of the path).
type itemJSON struct {
	ID                int64       `json:"id"`
	Name              string      `json:"name"`
	Description       string      `json:"description"`
	Price             money.Money `json:"price"`
	PictureFileName   string      `json:"pictureFileName"`
	CatalogTypeID     int64       `json:"catalogTypeId"`
	CatalogBrandID    int64       `json:"catalogBrandId"`
	AvailableStock    int         `json:"availableStock"`
	RestockThreshold  int         `json:"restockThreshold"`
	MaxStockThreshold int         `json:"maxStockThreshold"`
	OnReorder         bool        `json:"onReorder"`
}

func toJSON(it catalog.Item) itemJSON {
	return itemJSON{
		ID: it.ID, Name: it.Name, Description: it.Description, Price: it.Price,
		PictureFileName: it.PictureFileName, CatalogTypeID: it.CatalogTypeID, CatalogBrandID: it.CatalogBrandID,
		AvailableStock: it.AvailableStock, RestockThreshold: it.RestockThreshold,
		MaxStockThreshold: it.MaxStockThreshold, OnReorder: it.OnReorder,
	}
}

func (j itemJSON) item() catalog.Item {
	return catalog.Item{
		ID: j.ID, Name: j.Name, Description: j.Description, Price: j.Price,
		PictureFileName: j.PictureFileName, CatalogTypeID: j.CatalogTypeID, CatalogBrandID: j.CatalogBrandID,
		AvailableStock: j.AvailableStock, RestockThreshold: j.RestockThreshold,
		MaxStockThreshold: j.MaxStockThreshold, OnReorder: j.OnReorder,
	}
}

func toJSONList(items []catalog.Item) []itemJSON {
	out := make([]itemJSON, len(items))
	for i, it := range items {
		out[i] = toJSON(it)
	}
	return out
}

// decodeItem reads an item from the body and checks the rules it follows on
// its own (the store checks that its type and brand exist).
func decodeItem(r *http.Request) (catalog.Item, *httpkit.Problem) {
	var in itemJSON
	if p := httpkit.DecodeJSON(r, &in); p != nil {
		return catalog.Item{}, p
	}
	it := in.item()
	var fields catalog.FieldErrors
	if err := it.Validate(); errors.As(err, &fields) {
		return catalog.Item{}, httpkit.Validation(fields).Err()
	}
	return it, nil
}

type pageJSON struct {
	PageIndex int        `json:"pageIndex"`
	PageSize  int        `json:"pageSize"`
	Count     int        `json:"count"`
	Data      []itemJSON `json:"data"`
}

func (h *handlers) listItems(w http.ResponseWriter, r *http.Request) {
	f, p := readFilter(r)
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	page, err := h.store.Items(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, pageJSON{PageIndex: f.PageIndex, PageSize: f.PageSize, Count: page.Count, Data: toJSONList(page.Items)})
}

// readFilter reads pageIndex, pageSize, name, type and brand, and lists
// every bad one in a single problem. The query is parsed once: this is the
// busiest request of the catalog.
func readFilter(r *http.Request) (catalog.ItemFilter, *httpkit.Problem) {
	q := r.URL.Query()
	var v httpkit.Validation
	queryInt := func(name string, def, min, max int) int {
		raw := q.Get(name)
		if raw == "" {
			return def
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < min || n > max {
			v.Add(name, fmt.Sprintf("must be an integer from %d to %d", min, max))
		}
		return n
	}
	f := catalog.ItemFilter{
		PageIndex:  queryInt("pageIndex", 0, 0, math.MaxInt32),
		PageSize:   queryInt("pageSize", 10, 1, 100),
		TypeID:     int64(queryInt("type", 0, 1, math.MaxInt)),
		BrandID:    int64(queryInt("brand", 0, 1, math.MaxInt)),
		NamePrefix: q.Get("name"),
	}
	if strings.ContainsRune(f.NamePrefix, 0) {
		v.Add("name", "must not contain NUL characters")
	}
	return f, v.Err()
}

// maxIDs bounds GET /items/by.
const maxIDs = 100

func (h *handlers) itemsByIDs(w http.ResponseWriter, r *http.Request) {
	ids, p := readIDs(r.URL.Query().Get("ids"))
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	items, err := h.store.ItemsByIDs(r.Context(), ids)
	if err != nil {
		fail(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, toJSONList(items))
}

// readIDs reads "1,2,3": 1 to maxIDs positive integers.
func readIDs(raw string) ([]int64, *httpkit.Problem) {
	var v httpkit.Validation
	if strings.TrimSpace(raw) == "" {
		v.Add("ids", "is required: a comma-separated list of item ids, e.g. ids=1,2,3")
		return nil, v.Err()
	}
	parts := strings.Split(raw, ",")
	if len(parts) > maxIDs {
		v.Add("ids", fmt.Sprintf("must list at most %d ids", maxIDs))
		return nil, v.Err()
	}
	ids := make([]int64, 0, len(parts))
	for _, s := range parts {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			v.Add("ids", "must be positive integers, got "+strconv.Quote(s))
			continue
		}
		ids = append(ids, id)
	}
	return ids, v.Err()
}

func (h *handlers) getItem(w http.ResponseWriter, r *http.Request) {
	it, ok := h.item(w, r)
	if !ok {
		return
	}
	w.Header().Set("ETag", etag(it.Version))
	httpkit.WriteJSON(w, http.StatusOK, toJSON(it))
}

// item reads the item the path's id names. When there is none, or the id is
// bad, it has answered the problem and ok is false.
func (h *handlers) item(w http.ResponseWriter, r *http.Request) (it catalog.Item, ok bool) {
	id, p := httpkit.PathInt(r, "id")
	if p != nil {
		httpkit.WriteProblem(w, p)
		return catalog.Item{}, false
	}
	it, err := h.store.Item(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return catalog.Item{}, false
	}
	return it, true
}

func (h *handlers) createItem(w http.ResponseWriter, r *http.Request) {
	it, p := decodeItem(r)
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	if it.ID != 0 {
		httpkit.WriteProblem(w, idProblem("must be left out: the catalog assigns it"))
		return
	}
	created, err := h.store.CreateItem(r.Context(), it)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("%s/items/%d", BasePath, created.ID))
	w.Header().Set("ETag", etag(created.Version))
	httpkit.WriteJSON(w, http.StatusCreated, toJSON(created))
}

func (h *handlers) updateItem(w http.ResponseWriter, r *http.Request) {
	id, p := httpkit.PathInt(r, "id")
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	version, ok := ifMatch(r)
	if !ok {
		httpkit.Fail(w, http.StatusPreconditionRequired,
			"send the item's ETag, as GET answered it, in If-Match (* is not accepted): an edit must name the version it is based on")
		return
	}
	it, p := decodeItem(r)
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	if it.ID != 0 && it.ID != id {
		httpkit.WriteProblem(w, idProblem("must be left out or equal the id of the path"))
		return
	}
	it.ID, it.Version = id, version
	updated, err := h.store.UpdateItem(r.Context(), it)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(updated.Version))
	httpkit.WriteJSON(w, http.StatusOK, toJSON(updated))
}

func idProblem(msg string) *httpkit.Problem {
	var v httpkit.Validation
	v.Add("id", msg)
	return v.Err()
}

func (h *handlers) deleteItem(w http.ResponseWriter, r *http.Request) {
	id, p := httpkit.PathInt(r, "id")
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	if err := h.store.DeleteItem(r.Context(), id); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
