package web_test

import (
	"net/url"
	"regexp"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

func TestTheEditorIsForAdminsOnly(t *testing.T) {
	s := newShop(t)
	buyer := s.signedIn("alice")
	buyer.get("/admin/items/1", 403).has(t, "Only an administrator")
	buyer.post("/admin/items/1", url.Values{"price": {"1.00"}, "availableStock": {"1"}, "etag": {`"1"`}}, 403)
	s.browser().post("/admin/items/1", url.Values{"price": {"1.00"}, "availableStock": {"1"}, "etag": {`"1"`}}, 303)
	if s.apis.puts != 0 {
		t.Fatal("a buyer's edit reached catalog")
	}
}

func TestTheEditorSendsIfMatchAndShowsAConflict(t *testing.T) {
	s := newShop(t)
	admin := s.signedIn("admin")
	form := admin.get("/admin/items/1", 200)
	form.has(t, `<form id="edit-item" method="post" action="/admin/items/1">`, `<input type="hidden" name="etag" value="&#34;1&#34;">`,
		`<label for="price">Price</label>`, `<input id="price" name="price" inputmode="decimal" value="10.00" required>`,
		`<label for="availableStock">Available stock</label>`, `name="availableStock" type="number" min="0" value="10"`, `<button>Save</button>`)
	etag := `"1"`

	for _, bad := range []url.Values{
		{"price": {"0"}, "availableStock": {"1"}, "etag": {etag}},
		{"price": {"1.005"}, "availableStock": {"1"}, "etag": {etag}},
		{"price": {"abc"}, "availableStock": {"1"}, "etag": {etag}},
		{"price": {"1.00"}, "availableStock": {"-1"}, "etag": {etag}},
		{"price": {"1.00"}, "availableStock": {"1"}},
	} {
		admin.post("/admin/items/1", bad, 400).has(t, `<p class="error" role="alert">`)
	}
	if s.apis.puts != 0 {
		t.Fatal("a bad edit reached catalog")
	}

	p := admin.post("/admin/items/1", url.Values{"price": {"12.50"}, "availableStock": {"7"}, "etag": {etag}}, 303)
	if p.header.Get("Location") != "/items/1" {
		t.Fatalf("after saving: Location %s", p.header.Get("Location"))
	}
	s.apis.set(func(f *fakeAPIs) {
		if it := f.items[1]; !it.Price.Equal(money.MustParse("12.50")) || it.AvailableStock != 7 || it.Name != "Alder Daypack 22" {
			t.Fatalf("item = %+v", it)
		}
	})
	admin.get("/items/1", 200).has(t, "Saved Alder Daypack 22.", `<span class="price">12.50</span>`)

	// The same form again: its ETag is stale now.
	stale := admin.post("/admin/items/1", url.Values{"price": {"99.00"}, "availableStock": {"1"}, "etag": {etag}}, 412)
	stale.has(t, "changed meanwhile", `value="12.50"`, `value="7"`, `<input type="hidden" name="etag" value="&#34;2&#34;">`)
	if s.apis.puts != 1 {
		t.Fatalf("%d edits saved, want 1", s.apis.puts)
	}
	if regexp.MustCompile(`value="99.00"`).MatchString(stale.body) {
		t.Fatal("the conflict page shows the stale edit as the current value")
	}
}
