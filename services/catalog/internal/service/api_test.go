package service_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

type item struct {
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	Description       string  `json:"description"`
	Price             float64 `json:"price"` // compared with literals only
	PictureFileName   string  `json:"pictureFileName"`
	CatalogTypeID     int64   `json:"catalogTypeId"`
	CatalogBrandID    int64   `json:"catalogBrandId"`
	AvailableStock    int     `json:"availableStock"`
	RestockThreshold  int     `json:"restockThreshold"`
	MaxStockThreshold int     `json:"maxStockThreshold"`
	OnReorder         bool    `json:"onReorder"`
}

type page struct {
	PageIndex int    `json:"pageIndex"`
	PageSize  int    `json:"pageSize"`
	Count     int    `json:"count"`
	Data      []item `json:"data"`
}

func itemBody(name, price string, typeID, brandID int) string {
	return fmt.Sprintf(`{"name":%q,"description":"test item","price":%s,"pictureFileName":"x.webp",
		"catalogTypeId":%d,"catalogBrandId":%d,"availableStock":5,"restockThreshold":1,"maxStockThreshold":10}`,
		name, price, typeID, brandID)
}

// The seeded catalog has 5 types, 4 brands and 15 items.
const seededItems = 15

// TestReadingTheSampleCatalog reads the seeded catalog. Its subtests only
// read, so each stands alone: run any of them by itself.
func TestReadingTheSampleCatalog(t *testing.T) {
	c := startCatalog(t)

	t.Run("types and brands", func(t *testing.T) {
		c := c.For(t)
		var types []struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
		}
		c.json("GET", "/api/catalog/catalogtypes", "", 200, &types)
		var brands []struct {
			ID    int64  `json:"id"`
			Brand string `json:"brand"`
		}
		c.json("GET", "/api/catalog/catalogbrands", "", 200, &brands)
		if len(types) != 5 || types[0].Type == "" || len(brands) != 4 || brands[0].Brand == "" {
			t.Fatalf("types %v, brands %v; want the 5 seeded types and 4 brands", types, brands)
		}
	})

	t.Run("pages are ordered by name", func(t *testing.T) {
		c := c.For(t)
		var first, second page
		c.json("GET", "/api/catalog/items", "", 200, &first)
		c.json("GET", "/api/catalog/items?pageIndex=1&pageSize=10", "", 200, &second)
		if first.Count != seededItems || len(first.Data) != 10 || first.PageSize != 10 || first.PageIndex != 0 {
			t.Fatalf("first page: count %d, %d items, size %d, index %d; want 15, 10, 10, 0", first.Count, len(first.Data), first.PageSize, first.PageIndex)
		}
		if second.Count != seededItems || len(second.Data) != 5 || second.PageIndex != 1 {
			t.Fatalf("second page: count %d, %d items; want 15, 5", second.Count, len(second.Data))
		}
		all := append(first.Data, second.Data...)
		for i := 1; i < len(all); i++ {
			if all[i-1].Name > all[i].Name {
				t.Fatalf("%q comes before %q", all[i-1].Name, all[i].Name)
			}
		}
		var past page
		c.json("GET", "/api/catalog/items?pageIndex=5", "", 200, &past)
		if past.Count != seededItems || len(past.Data) != 0 {
			t.Fatalf("page past the end: count %d, %d items; want 15, 0", past.Count, len(past.Data))
		}
	})

	t.Run("filters", func(t *testing.T) {
		c := c.For(t)
		var p page
		c.json("GET", "/api/catalog/items?name=bAsA", "", 200, &p)
		if p.Count != 1 || len(p.Data) != 1 || p.Data[0].Name != "Basalt Trek 55" {
			t.Fatalf("name=bAsA: %+v, want Basalt Trek 55 only", p)
		}
		c.json("GET", "/api/catalog/items?name=%25", "", 200, &p)
		if p.Count != 0 {
			t.Fatalf("name=%%: count %d, want 0 (the prefix is literal)", p.Count)
		}
		c.json("GET", "/api/catalog/items?type=1", "", 200, &p)
		if p.Count == 0 || p.Count == seededItems {
			t.Fatalf("type=1: count %d, want some items but not all", p.Count)
		}
		for _, it := range p.Data {
			if it.CatalogTypeID != 1 {
				t.Fatalf("type=1 returned %+v", it)
			}
		}
		c.json("GET", "/api/catalog/items?brand=2&type=1", "", 200, &p)
		for _, it := range p.Data {
			if it.CatalogTypeID != 1 || it.CatalogBrandID != 2 {
				t.Fatalf("brand=2&type=1 returned %+v", it)
			}
		}
	})

	t.Run("bad page parameters", func(t *testing.T) {
		c := c.For(t)
		for _, q := range []string{"pageSize=0", "pageSize=101", "pageSize=abc", "pageIndex=-1", "type=0", "brand=x", "name=a%00"} {
			p := c.problem("GET", "/api/catalog/items?"+q, "", 400)
			field := strings.SplitN(q, "=", 2)[0]
			if len(p.Errors[field]) == 0 {
				t.Errorf("%s: errors %v do not name %s", q, p.Errors, field)
			}
		}
		var p page
		c.json("GET", "/api/catalog/items?pageSize=100", "", 200, &p)
		c.json("GET", "/api/catalog/items?pageSize=1", "", 200, &p)
		if len(p.Data) != 1 {
			t.Fatalf("pageSize=1 gave %d items", len(p.Data))
		}
	})

	t.Run("by ids", func(t *testing.T) {
		c := c.For(t)
		var items []item
		c.json("GET", "/api/catalog/items/by?ids=3,1,99999", "", 200, &items)
		if len(items) != 2 || items[0].ID != 1 || items[1].ID != 3 {
			t.Fatalf("ids=3,1,99999: %+v, want items 1 and 3", items)
		}
		many := make([]string, 101)
		for i := range many {
			many[i] = strconv.Itoa(i + 1)
		}
		for _, q := range []string{"", "?ids=", "?ids=abc", "?ids=1,,2", "?ids=0", "?ids=-4", "?ids=" + strings.Join(many, ",")} {
			if p := c.problem("GET", "/api/catalog/items/by"+q, "", 400); len(p.Errors["ids"]) == 0 {
				t.Errorf("%q: errors %v do not name ids", q, p.Errors)
			}
		}
	})

	t.Run("get one", func(t *testing.T) {
		c := c.For(t)
		var it item
		h := c.json("GET", "/api/catalog/items/2", "", 200, &it)
		if it.ID != 2 || it.Name == "" || it.Price <= 0 || it.AvailableStock <= 0 || it.CatalogTypeID == 0 {
			t.Fatalf("item 2: %+v", it)
		}
		if h.Get("X-Request-Id") == "" {
			t.Fatal("no X-Request-Id")
		}
		c.problem("GET", "/api/catalog/items/99999", "", 404)
		c.problem("GET", "/api/catalog/items/abc", "", 400)
		c.problem("GET", "/api/catalog/items/0", "", 400)
	})

	t.Run("unknown routes and methods", func(t *testing.T) {
		c := c.For(t)
		c.problem("GET", "/api/catalog/nothing", "", 404)
		c.problem("PATCH", "/api/catalog/items/1", "{}", 405)
	})

	t.Run("health", func(t *testing.T) {
		c := c.For(t)
		if status, _, _ := c.do("GET", "/healthz", ""); status != http.StatusOK {
			t.Fatalf("healthz %d", status)
		}
		if status, _, b := c.do("GET", "/readyz", ""); status != http.StatusOK || !strings.Contains(string(b), "database") || !strings.Contains(string(b), "broker") {
			t.Fatalf("readyz %d %s", status, b)
		}
	})
}

// TestCreateItem creates an item, reads it back and deletes it.
func TestCreateItem(t *testing.T) {
	c := startCatalog(t)
	var created item
	h := c.json("POST", "/api/catalog/items", itemBody("Puffin Bivvy Bag", "99.90", 2, 3), 201, &created)
	if created.ID == 0 || created.Name != "Puffin Bivvy Bag" || created.Price != 99.90 || created.AvailableStock != 5 {
		t.Fatalf("created %+v", created)
	}
	if want := fmt.Sprintf("/api/catalog/items/%d", created.ID); h.Get("Location") != want {
		t.Fatalf("Location %q, want %q", h.Get("Location"), want)
	}
	var got item
	c.json("GET", h.Get("Location"), "", 200, &got)
	if got != created {
		t.Fatalf("read back %+v, want %+v", got, created)
	}
	c.json("DELETE", h.Get("Location"), "", 204, nil)
}

// TestCreateRejectsBadInputAndChangesNothing sends bad items: each gets a problem naming its fields, and no item is created.
func TestCreateRejectsBadInputAndChangesNothing(t *testing.T) {
	c := startCatalog(t)
	cases := []struct {
		name, body string
		status     int
		fields     []string
	}{
		{"bad JSON", `{"name":`, 400, nil},
		{"not an object", `[1,2]`, 400, nil},
		{"empty", ``, 400, nil},
		{"price as string", `{"name":"x","price":"1.00","catalogTypeId":1,"catalogBrandId":1}`, 400, nil},
		{"stock as string", `{"name":"x","price":1,"availableStock":"many","catalogTypeId":1,"catalogBrandId":1}`, 400, []string{"availableStock"}},
		{"empty name, 3 decimals", itemBody("", "1.005", 1, 1), 400, []string{"name", "price"}},
		{"long name", itemBody(strings.Repeat("n", 101), "1", 1, 1), 400, []string{"name"}},
		{"zero price", itemBody("x", "0", 1, 1), 400, []string{"price"}},
		{"negative price", itemBody("x", "-5", 1, 1), 400, []string{"price"}},
		{"huge price", itemBody("x", "1e12", 1, 1), 400, []string{"price"}},
		{"negative stock", `{"name":"x","price":1,"availableStock":-1,"catalogTypeId":1,"catalogBrandId":1}`, 400, []string{"availableStock"}},
		{"stock beyond int32", `{"name":"x","price":1,"availableStock":3000000000,"catalogTypeId":1,"catalogBrandId":1}`, 400, []string{"availableStock"}},
		{"unknown type and brand", itemBody("x", "1", 999, 998), 400, []string{"catalogTypeId", "catalogBrandId"}},
		{"missing type and brand", `{"name":"x","price":1}`, 400, []string{"catalogTypeId", "catalogBrandId"}},
		{"with an id", `{"id":5,"name":"x","price":1,"catalogTypeId":1,"catalogBrandId":1}`, 400, []string{"id"}},
		{"over 1 MiB", `{"name":"x","description":"` + strings.Repeat("d", 1<<20) + `","price":1,"catalogTypeId":1,"catalogBrandId":1}`, 413, nil},
	}
	for _, tc := range cases {
		p := c.problem("POST", "/api/catalog/items", tc.body, tc.status)
		for _, f := range tc.fields {
			if len(p.Errors[f]) == 0 {
				t.Errorf("%s: errors %v do not name %s", tc.name, p.Errors, f)
			}
		}
	}
	var p page
	c.json("GET", "/api/catalog/items", "", 200, &p)
	if p.Count != seededItems {
		t.Fatalf("count %d after rejected creates, want %d", p.Count, seededItems)
	}
}

// TestUpdateItem replaces an item, then sends bad updates that change nothing.
func TestUpdateItem(t *testing.T) {
	c := startCatalog(t)
	var before, updated item
	etag := c.json("GET", "/api/catalog/items/4", "", 200, &before).Get("ETag")
	body := fmt.Sprintf(`{"name":"Drift Solo Tent UL","description":"lighter","price":199.5,"pictureFileName":"4.webp",
		"catalogTypeId":%d,"catalogBrandId":%d,"availableStock":9,"restockThreshold":2,"maxStockThreshold":20,"onReorder":true}`,
		before.CatalogTypeID, before.CatalogBrandID)
	etag = c.json("PUT", "/api/catalog/items/4", body, 200, &updated, "If-Match", etag).Get("ETag")
	if updated.ID != 4 || updated.Name != "Drift Solo Tent UL" || updated.Price != 199.5 || updated.AvailableStock != 9 || !updated.OnReorder {
		t.Fatalf("updated %+v", updated)
	}
	var got item
	c.json("GET", "/api/catalog/items/4", "", 200, &got)
	if got != updated {
		t.Fatalf("read back %+v, want %+v", got, updated)
	}

	c.problem("PUT", "/api/catalog/items/99999", body, 404, "If-Match", etag)
	c.problem("PUT", "/api/catalog/items/abc", body, 400, "If-Match", etag)
	c.problem("PUT", "/api/catalog/items/4", `{"price":`, 400, "If-Match", etag)
	if p := c.problem("PUT", "/api/catalog/items/4", strings.Replace(body, "199.5", "199.555", 1), 400, "If-Match", etag); len(p.Errors["price"]) == 0 {
		t.Fatalf("3 decimals: errors %v do not name price", p.Errors)
	}
	if p := c.problem("PUT", "/api/catalog/items/4", strings.Replace(body, `"name"`, `"id":5,"name"`, 1), 400, "If-Match", etag); len(p.Errors["id"]) == 0 {
		t.Fatalf("other id: errors %v do not name id", p.Errors)
	}
	c.problem("PUT", "/api/catalog/items/4", `{"name":"`+strings.Repeat("x", 1<<20)+`"}`, 413, "If-Match", etag)
	c.json("GET", "/api/catalog/items/4", "", 200, &got)
	if got != updated {
		t.Fatalf("after rejected updates %+v, want %+v", got, updated)
	}
}

// TestDeleteItem deletes an item: it is gone, and a second delete is a 404.
func TestDeleteItem(t *testing.T) {
	c := startCatalog(t)
	var created item
	h := c.json("POST", "/api/catalog/items", itemBody("Quill Notebook", "3.20", 1, 1), 201, &created)
	c.json("DELETE", h.Get("Location"), "", 204, nil)
	c.problem("GET", h.Get("Location"), "", 404)
	c.problem("DELETE", h.Get("Location"), "", 404)
	c.problem("DELETE", "/api/catalog/items/abc", "", 400)
}
