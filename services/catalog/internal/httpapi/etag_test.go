package httpapi

import (
	"net/http/httptest"
	"testing"
)

func TestIfMatchNamesOneVersionOrNone(t *testing.T) {
	cases := []struct {
		header  []string
		version int64
		ok      bool
	}{
		{nil, 0, false},
		{[]string{""}, 0, false},
		{[]string{"*"}, 0, false},
		{[]string{` * `}, 0, false},
		{[]string{`"12"`}, 12, true},
		{[]string{` "12" `}, 12, true},
		{[]string{`W/"12"`}, 0, true},     // weak: never matches (strong comparison)
		{[]string{`12`}, 0, true},         // not quoted
		{[]string{`"012"`}, 0, true},      // not an ETag the catalog gives
		{[]string{`"+12"`}, 0, true},      // idem
		{[]string{`"0"`}, 0, true},        // no item has version 0
		{[]string{`"-3"`}, 0, true},       // idem
		{[]string{`"12", "13"`}, 0, true}, // one entity-tag only
		{[]string{`"12"`, `"13"`}, 0, true},
		{[]string{`"99999999999999999999"`}, 0, true},
		{[]string{`"`}, 0, true},
		{[]string{`""`}, 0, true},
	}
	for _, c := range cases {
		r := httptest.NewRequest("PUT", "/api/catalog/items/1", nil)
		for _, h := range c.header {
			r.Header.Add("If-Match", h)
		}
		if v, ok := ifMatch(r); v != c.version || ok != c.ok {
			t.Errorf("If-Match %q: %d, %v; want %d, %v", c.header, v, ok, c.version, c.ok)
		}
	}
	if got := etag(12); got != `"12"` {
		t.Errorf("etag(12) = %s", got)
	}
}
