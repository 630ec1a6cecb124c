package shopapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

// Item is a catalog item.
type Item struct {
	ID                int64       `json:"id"`
	Name              string      `json:"name"`
	Description       string      `json:"description"`
	Price             money.Money `json:"price"`
	PictureFileName   string      `json:"pictureFileName"`
	CatalogTypeID     int64       `json:"catalogTypeId"`
	CatalogBrandID    int64       `json:"catalogBrandId"`
	AvailableStock    int64       `json:"availableStock"`
	RestockThreshold  int64       `json:"restockThreshold"`
	MaxStockThreshold int64       `json:"maxStockThreshold"`
	OnReorder         bool        `json:"onReorder"`
}

// ItemPage is a page of the catalog.
type ItemPage struct {
	PageIndex int    `json:"pageIndex"`
	PageSize  int    `json:"pageSize"`
	Count     int    `json:"count"`
	Data      []Item `json:"data"`
}

// Brand is a catalog brand.
type Brand struct {
	ID    int64  `json:"id"`
	Brand string `json:"brand"`
}

// Type is a catalog type.
type Type struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// Filter selects catalog items: by brand and type id (0: any) and a name
// prefix, one page of Size at Page (0-based).
type Filter struct {
	Brand, Type int64
	Name        string
	Page, Size  int
}

// Catalog is the catalog API.
type Catalog struct{ api api }

// NewCatalog returns the client of the catalog at baseURL.
func NewCatalog(baseURL string) *Catalog { return &Catalog{newAPI("catalog", baseURL)} }

// Values are f's brand, type and name as query parameters (the catalog
// API's names, which the storefront's own links use too), without the
// page.
func (f Filter) Values() url.Values {
	q := url.Values{}
	if f.Brand > 0 {
		q.Set("brand", strconv.FormatInt(f.Brand, 10))
	}
	if f.Type > 0 {
		q.Set("type", strconv.FormatInt(f.Type, 10))
	}
	if f.Name != "" {
		q.Set("name", f.Name)
	}
	return q
}

// Items returns a page of the items f selects.
func (c *Catalog) Items(ctx context.Context, f Filter) (ItemPage, error) {
	q := f.Values()
	q.Set("pageIndex", strconv.Itoa(f.Page))
	q.Set("pageSize", strconv.Itoa(f.Size))
	var page ItemPage
	_, err := c.api.do(ctx, call{method: http.MethodGet, path: "/api/catalog/items?" + q.Encode(), out: &page})
	return page, err
}

// Item returns an item and its ETag.
func (c *Catalog) Item(ctx context.Context, id int64) (Item, string, error) {
	var it Item
	h, err := c.api.do(ctx, call{method: http.MethodGet, path: itemPath(id), out: &it})
	if err != nil {
		return Item{}, "", err
	}
	return it, h.Get("ETag"), nil
}

// UpdateItem replaces an item as the admin whose token it is, if it is
// still at etag (else a 412 Problem), and returns it with its new ETag.
func (c *Catalog) UpdateItem(ctx context.Context, token string, it Item, etag string) (Item, string, error) {
	var out Item
	h, err := c.api.do(ctx, call{method: http.MethodPut, path: itemPath(it.ID), token: token, body: it,
		header: http.Header{"If-Match": {etag}}, out: &out})
	if err != nil {
		return Item{}, "", err
	}
	return out, h.Get("ETag"), nil
}

// Brands returns the catalog's brands.
func (c *Catalog) Brands(ctx context.Context) ([]Brand, error) {
	var out []Brand
	_, err := c.api.do(ctx, call{method: http.MethodGet, path: "/api/catalog/catalogbrands", out: &out})
	return out, err
}

// Types returns the catalog's types.
func (c *Catalog) Types(ctx context.Context) ([]Type, error) {
	var out []Type
	_, err := c.api.do(ctx, call{method: http.MethodGet, path: "/api/catalog/catalogtypes", out: &out})
	return out, err
}

// Picture is an item's picture as catalog answered it.
type Picture struct {
	Body   io.ReadCloser
	Header http.Header // Content-Type, Cache-Control, ETag…
	Status int         // 200, or 304 to a conditional request
}

// Picture returns an item's picture. ifNoneMatch, when set, makes the
// request conditional. The caller closes Body.
func (c *Catalog) Picture(ctx context.Context, id int64, ifNoneMatch string) (*Picture, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api.base+itemPath(id)+"/pic", nil)
	if err != nil {
		return nil, err
	}
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	res, err := c.api.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: catalog: %w", ErrUnavailable, err)
	}
	switch {
	case res.StatusCode >= 500:
		res.Body.Close()
		return nil, fmt.Errorf("%w: catalog answered %s", ErrUnavailable, res.Status)
	case res.StatusCode >= 400:
		res.Body.Close()
		return nil, statusProblem(res.StatusCode)
	}
	return &Picture{Body: res.Body, Header: res.Header, Status: res.StatusCode}, nil
}

func itemPath(id int64) string { return "/api/catalog/items/" + strconv.FormatInt(id, 10) }
