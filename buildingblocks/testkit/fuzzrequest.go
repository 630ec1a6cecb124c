package testkit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// FuzzRequestBody fuzzes decode, an HTTP handler's decoding and validation
// of a request body, with seeds and the bodies the fuzzer makes of them,
// each sent as method to target: never a panic; a body is either refused
// with a 400 or 413 problem that has a title, repeats none of secrets and
// comes with nothing decoded, or decoded into a value that check accepts.
func FuzzRequestBody[V any](f *testing.F, method, target string, seeds []string, decode func(*http.Request) (V, *httpapi.Problem), check func(t *testing.T, body string, v V), secrets ...string) {
	for _, seed := range seeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, p := decode(httptest.NewRequest(method, target, strings.NewReader(body)))
		if p == nil {
			check(t, body, v)
			return
		}
		if (p.Status != http.StatusBadRequest && p.Status != http.StatusRequestEntityTooLarge) || p.Title == "" {
			t.Fatalf("refused %q with %+v, want a 400 or 413 problem", body, p)
		}
		if !reflect.ValueOf(&v).Elem().IsZero() {
			t.Fatalf("refused %q, yet decoded %+v along with the problem", body, v)
		}
		text := fmt.Sprintf("%+v", p)
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Fatalf("the problem repeats %q: %s", secret, text)
			}
		}
	})
}
