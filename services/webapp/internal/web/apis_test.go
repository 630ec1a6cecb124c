package web_test

import (
	"strings"
	"testing"
)

// What the fake APIs answer at /openapi.yaml: a document with markup in it,
// which the page must show as text.
const fakeOpenAPI = "openapi: 3.0.3\ninfo: {title: \"<script>alert(1)</script>\", version: \"1\"}\n"

// The API pages list the services and show each one's OpenAPI document as
// text, fetched by the webapp: nothing is loaded from outside the shop.
func TestTheAPIPagesShowEachServicesDocument(t *testing.T) {
	s := newShop(t)
	b := s.browser()
	if list := b.get("/apis", 200); !strings.Contains(list.body, `href="/apis/catalog"`) || !strings.Contains(list.body, `href="/apis/catalog/openapi.yaml"`) {
		t.Errorf("/apis does not link catalog's document:\n%s", list.body)
	}
	if home := b.get("/", 200); !strings.Contains(home.body, `href="/apis"`) {
		t.Error("the pages do not link the APIs")
	}
	doc := b.get("/apis/catalog", 200)
	if !strings.Contains(doc.body, "openapi: 3.0.3") || !strings.Contains(doc.body, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(doc.body, "<script>alert") {
		t.Errorf("/apis/catalog does not show the document as text:\n%s", doc.body)
	}
	if strings.Contains(doc.body, "https://") || strings.Contains(doc.body, `src="http`) {
		t.Errorf("/apis/catalog loads something from outside:\n%s", doc.body)
	}
	raw := b.get("/apis/catalog/openapi.yaml", 200)
	if raw.header.Get("Content-Type") != "application/yaml" || raw.body != fakeOpenAPI {
		t.Errorf("/apis/catalog/openapi.yaml: %q %q", raw.header.Get("Content-Type"), raw.body)
	}
	b.get("/apis/nothing", 404)
	s.apis.mu.Lock()
	s.apis.down = true
	s.apis.mu.Unlock()
	b.get("/apis/catalog", 502)
}
