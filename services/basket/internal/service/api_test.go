package service_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestBasketAPI runs the API on one service. Each subtest uses buyers of
// its own and puts what it reads first, so each stands alone: run any of
// them by itself.
func TestBasketAPI(t *testing.T) {
	t.Parallel()
	s := startBasket(t)

	t.Run("unknown buyer has an empty basket", func(t *testing.T) {
		status, body, header := s.do(t, http.MethodGet, "/api/basket/nobody", nil)
		if status != http.StatusOK || header.Get("X-Request-Id") == "" {
			t.Fatalf("%d %s, X-Request-Id %q", status, body, header.Get("X-Request-Id"))
		}
		if got := strings.TrimSpace(string(body)); got != `{"buyerId":"nobody","items":[]}` {
			t.Fatalf("body %s", got)
		}
	})

	t.Run("put replaces the items and get returns them", func(t *testing.T) {
		s.putBasket(t, "alice", item(1, "1.00"))
		b := s.putBasket(t, "alice", item(7, "19.50"), item(8, "0.01"))
		if len(b.Items) != 2 || b.Items[0].ProductID != 7 || b.Items[0].ID == "" || b.BuyerID != "alice" {
			t.Fatalf("PUT answered %+v", b)
		}
		got := s.getBasket(t, "alice")
		if !slices.Equal(got.prices(), []string{"19.50/-", "0.01/-"}) || got.Items[0].ID != b.Items[0].ID {
			t.Fatalf("GET %+v, want the two lines put", got)
		}
		if got.Items[0].PictureURL != "p.png" || got.Items[0].ProductName != "product" || got.Items[0].Quantity != 1 {
			t.Fatalf("line %+v lost a field", got.Items[0])
		}
	})

	t.Run("bad puts get problems and change nothing", func(t *testing.T) {
		s.putBasket(t, "bob", item(7, "10.00"))
		line := func(edit func(m map[string]any)) string {
			m := map[string]any{"productId": 7, "productName": "Mug", "unitPrice": 10, "quantity": 1, "pictureUrl": ""}
			edit(m)
			raw, _ := json.Marshal(map[string]any{"items": []any{m}})
			return string(raw)
		}
		many := make([]itemJSON, 101)
		for i := range many {
			many[i] = item(int64(i+1), "1.00")
		}
		tooMany, _ := json.Marshal(map[string]any{"items": many})
		cases := []struct {
			name, body string
			status     int
			field      string
		}{
			{"quantity 0", line(func(m map[string]any) { m["quantity"] = 0 }), 400, "items[0].quantity"},
			{"quantity 1001", line(func(m map[string]any) { m["quantity"] = 1001 }), 400, "items[0].quantity"},
			{"negative price", line(func(m map[string]any) { m["unitPrice"] = -1 }), 400, "items[0].unitPrice"},
			{"three decimals", line(func(m map[string]any) { m["unitPrice"] = json.Number("1.005") }), 400, "items[0].unitPrice"},
			{"missing price", line(func(m map[string]any) { delete(m, "unitPrice") }), 400, "items[0].unitPrice"},
			{"price as string", line(func(m map[string]any) { m["unitPrice"] = "10" }), 400, ""},
			{"free", line(func(m map[string]any) { m["unitPrice"] = 0 }), 400, "items[0].unitPrice"},
			{"product id 0", line(func(m map[string]any) { m["productId"] = 0 }), 400, "items[0].productId"},
			{"product id over int32", line(func(m map[string]any) { m["productId"] = 2147483648 }), 400, "items[0].productId"},
			{"no product name", line(func(m map[string]any) { m["productName"] = "" }), 400, "items[0].productName"},
			{"NUL in name", line(func(m map[string]any) { m["productName"] = "a\x00b" }), 400, "items[0].productName"},
			{"quantity as string", line(func(m map[string]any) { m["quantity"] = "1" }), 400, "items.quantity"},
			{"101 lines", string(tooMany), 400, "items"},
			{"no items field", `{}`, 400, "items"},
			{"not json", `{"items":[`, 400, ""},
			{"empty body", ``, 400, ""},
			{"over 1 MiB", `{"items":[],"x":"` + strings.Repeat("a", 1<<20) + `"}`, 413, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s.problem(t, http.MethodPut, "/api/basket/bob", c.body, c.status, c.field)
				s.checkPrices(t, "bob", "10.00/-") // a refused PUT changes nothing
			})
		}
	})

	t.Run("bad buyer ids get problems", func(t *testing.T) {
		for _, path := range []string{"/api/basket/a%20b", "/api/basket/" + strings.Repeat("x", 101), "/api/basket/a%00b", "/api/basket/%FF", "/api/basket/a%0Ab"} {
			s.problem(t, http.MethodGet, path, nil, 400, "buyerId")
			s.problem(t, http.MethodPut, path, `{"items":[]}`, 400, "buyerId")
			s.problem(t, http.MethodDelete, path, nil, 400, "buyerId")
		}
	})

	// The row: a buyer id percent-escaped in the path is the same
	// buyer as the one written plainly.
	t.Run("path parameters are percent-decoded", func(t *testing.T) {
		s.putBasket(t, "carol%40example.com", item(7, "10.00"))
		if got := s.getBasket(t, "carol@example.com"); got.BuyerID != "carol@example.com" || !slices.Equal(got.prices(), []string{"10.00/-"}) {
			t.Fatalf("GET with the id written plainly: %+v, want the line put with it escaped", got)
		}
		s.do(t, http.MethodDelete, "/api/basket/carol@example.com", nil)
		if got := s.getBasket(t, "carol%40example.com"); len(got.Items) != 0 {
			t.Fatalf("after DELETE: %+v", got)
		}
	})

	t.Run("delete answers 204, also for no basket", func(t *testing.T) {
		s.putBasket(t, "carol", item(1, "1.00"))
		for range 2 {
			if status, body, _ := s.do(t, http.MethodDelete, "/api/basket/carol", nil); status != http.StatusNoContent || len(body) != 0 {
				t.Fatalf("DELETE: %d %s", status, body)
			}
		}
		if b := s.getBasket(t, "carol"); len(b.Items) != 0 {
			t.Fatalf("after DELETE: %+v", b)
		}
	})

	t.Run("unknown routes and methods get problems", func(t *testing.T) {
		s.problem(t, http.MethodGet, "/api/nothing", nil, 404, "")
		s.problem(t, http.MethodPatch, "/api/basket/alice", `{}`, 405, "")
	})

	t.Run("health", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if status, body, _ := s.do(t, http.MethodGet, path, nil); status != http.StatusOK {
				t.Fatalf("%s: %d %s", path, status, body)
			}
		}
	})
}
