package service_test

import (
	"bytes"
	"fmt"
	"testing"
)

// TestPictures reads the items' pictures: each sample item's is an SVG,
// public, cacheable and inert; a second read with its ETag is a 304; an
// unknown item, an item whose picture the catalog does not have, and a bad
// id are problems. Every answer is checked against openapi.yaml.
func TestPictures(t *testing.T) {
	c := startCatalog(t)
	anonymous := c.Client.As("")

	etags := map[string]int{}
	for id := 1; id <= seededItems; id++ {
		path := fmt.Sprintf("/api/catalog/items/%d/pic", id)
		res := anonymous.Do("GET", path, nil)
		if res.Status != 200 {
			t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
		}
		for name, want := range map[string]string{
			"Content-Type":            "image/svg+xml",
			"Cache-Control":           "public, max-age=3600",
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
			"X-Content-Type-Options":  "nosniff",
		} {
			if got := res.Header.Get(name); got != want {
				t.Errorf("GET %s: %s %q, want %q", path, name, got, want)
			}
		}
		if !bytes.Contains(res.Body, []byte("<svg ")) || !bytes.Contains(res.Body, []byte("</svg>")) {
			t.Fatalf("GET %s: not an SVG: %.100s", path, res.Body)
		}
		etags[res.Header.Get("ETag")] = id
	}
	if len(etags) != seededItems {
		t.Fatalf("%d distinct ETags for %d pictures", len(etags), seededItems)
	}

	t.Run("a read with the ETag is a 304 without a body", func(t *testing.T) {
		anonymous := anonymous.For(t)
		first := anonymous.Do("GET", "/api/catalog/items/4/pic", nil)
		etag := first.Header.Get("ETag")
		again := anonymous.Do("GET", "/api/catalog/items/4/pic", nil, "If-None-Match", etag)
		if again.Status != 304 || len(again.Body) != 0 || again.Header.Get("ETag") != etag {
			t.Fatalf("GET with If-None-Match %s: %d ETag %q, %d bytes; want 304, the same ETag, no body",
				etag, again.Status, again.Header.Get("ETag"), len(again.Body))
		}
		other := anonymous.Do("GET", "/api/catalog/items/5/pic", nil, "If-None-Match", etag)
		if other.Status != 200 || len(other.Body) == 0 {
			t.Fatalf("GET item 5's picture with item 4's ETag: %d, %d bytes; want 200 and the picture", other.Status, len(other.Body))
		}
	})

	t.Run("no picture is a 404 problem", func(t *testing.T) {
		c := c.For(t)
		var created item
		c.json("POST", "/api/catalog/items", itemBody("Pictureless Tarp", "12.00", 2, 1), 201, &created) // pictureFileName x.webp
		var noName item
		body := `{"name":"Nameless Tarp","price":12,"catalogTypeId":2,"catalogBrandId":1}`
		c.json("POST", "/api/catalog/items", body, 201, &noName)
		for _, id := range []int64{created.ID, noName.ID, 999999} {
			c.Client.As("").Problem("GET", fmt.Sprintf("/api/catalog/items/%d/pic", id), nil, 404)
		}
	})

	t.Run("a bad id is a 400 problem", func(t *testing.T) {
		for _, id := range []string{"0", "abc", "-1"} {
			c.For(t).Client.As("").Problem("GET", "/api/catalog/items/"+id+"/pic", nil, 400)
		}
	})
}
