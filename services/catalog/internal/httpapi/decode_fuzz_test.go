package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
)

// FuzzDecodeItem feeds arbitrary bodies to the decoding and validation of
// an item, the path every POST and PUT body takes. It must never panic;
// what it accepts must follow the item rules, and what it refuses must be a
// 400 or 413 problem. `make test` runs it over the seed corpus; `go test
// -fuzz FuzzDecodeItem` explores further.
func FuzzDecodeItem(f *testing.F) {
	seeds := []string{
		`{"name":"Lantern","description":"d","price":12.5,"pictureFileName":"1.webp","catalogTypeId":1,"catalogBrandId":2,"availableStock":3,"restockThreshold":1,"maxStockThreshold":9,"onReorder":false}`,
		`{"name":"x","price":0.01,"catalogTypeId":1,"catalogBrandId":1}`,
		`{"name":"x","price":1.005,"catalogTypeId":1,"catalogBrandId":1}`,
		`{"name":"x","price":1e-9999,"catalogTypeId":1,"catalogBrandId":1}`,
		`{"name":"x","price":9e9999,"catalogTypeId":1,"catalogBrandId":1}`,
		`{"name":"x","price":1e2147483647,"catalogTypeId":1,"catalogBrandId":1}`,
		`{"name":"x","price":-0,"catalogTypeId":1,"catalogBrandId":1}`,
		`{"name":"x","price":"1","catalogTypeId":1,"catalogBrandId":1}`,
		`{"name":"x","price":null}`,
		`{"name":"\u0000","price":1,"catalogTypeId":1,"catalogBrandId":1}`,
		`{"name":"` + strings.Repeat("é", 101) + `","price":1}`,
		`{"availableStock":1e3}`,
		`{"availableStock":99999999999999999999}`,
		`{"catalogTypeId":-1,"catalogBrandId":9223372036854775807}`,
		`[]`, `null`, `"x"`, `{`, `{} {}`, ``, "\xff\xfe",
	}
	testkit.FuzzRequestBody(f, http.MethodPost, "/api/catalog/items", seeds, decodeItem, func(t *testing.T, _ string, it catalog.Item) {
		if n := utf8.RuneCountInString(it.Name); n < 1 || n > catalog.MaxNameLength || strings.TrimSpace(it.Name) == "" {
			t.Fatalf("accepted name %q", it.Name)
		}
		if !it.Price.IsPositive() || !it.Price.HasCents() || it.Price.Cmp(catalog.MaxPrice) > 0 {
			t.Fatalf("accepted price %s", it.Price)
		}
		if it.AvailableStock < 0 || it.RestockThreshold < 0 || it.MaxStockThreshold < 0 ||
			it.AvailableStock > catalog.MaxStock || it.CatalogTypeID <= 0 || it.CatalogBrandID <= 0 {
			t.Fatalf("accepted %+v", it)
		}
		if strings.ContainsRune(it.Name+it.Description+it.PictureFileName, 0) {
			t.Fatalf("accepted a NUL character in %+v", it)
		}
	})
}

// FuzzReadQuery feeds arbitrary query strings to the parsing of the page
// filters and of GET /items/by's ids: no panic, and what is accepted is in
// range.
func FuzzReadQuery(f *testing.F) {
	for _, seed := range []string{
		"", "pageIndex=0&pageSize=10", "pageSize=101", "pageSize=-1", "name=%00", "name=%zz", "type=1&brand=2",
		"type=99999999999999999999", "ids=1,2,3", "ids=", "ids=,", "ids=1,,2", "ids=-1", "ids=" + strings.Repeat("1,", 101),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/api/catalog/items", nil)
		r.URL.RawQuery = query
		if f, p := readFilter(r); p == nil {
			if f.PageIndex < 0 || f.PageSize < 1 || f.PageSize > 100 || f.TypeID < 0 || f.BrandID < 0 || strings.ContainsRune(f.NamePrefix, 0) {
				t.Fatalf("accepted filter %+v from %q", f, query)
			}
		} else if p.Status != http.StatusBadRequest {
			t.Fatalf("refused %q with %+v", query, p)
		}
		ids, p := readIDs(r.URL.Query().Get("ids"))
		if p != nil {
			if p.Status != http.StatusBadRequest || len(p.Errors["ids"]) == 0 {
				t.Fatalf("refused ids of %q with %+v", query, p)
			}
			return
		}
		if len(ids) < 1 || len(ids) > maxIDs {
			t.Fatalf("accepted %d ids from %q", len(ids), query)
		}
		for _, id := range ids {
			if id <= 0 {
				t.Fatalf("accepted id %d from %q", id, query)
			}
		}
	})
}
