package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// brokenStore fails every call the way a lost database connection does.
type brokenStore struct{ Store }

var errDatabaseDown = errors.New("dial tcp 10.0.0.7:5432: connection refused")

func (brokenStore) Item(context.Context, int64) (catalog.Item, error) {
	return catalog.Item{}, errDatabaseDown
}
func (brokenStore) Items(context.Context, catalog.ItemFilter) (catalog.ItemPage, error) {
	return catalog.ItemPage{}, errDatabaseDown
}

// TestStoreFailureIsAProblemThatTellsNothingOfTheInternals: a store error
// is a 500 problem, logged, whose body does not leak the error.
func TestStoreFailureIsAProblemThatTellsNothingOfTheInternals(t *testing.T) {
	var logs strings.Builder
	r := httpkit.NewRouter(slog.New(slog.NewJSONHandler(&logs, nil)))
	Mount(r, brokenStore{}, func(h http.Handler) http.Handler { return h }) // only the public reads are called
	for _, path := range []string{"/api/catalog/items/1", "/api/catalog/items"} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		body, _ := io.ReadAll(w.Result().Body)
		if w.Code != http.StatusInternalServerError || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s: %d %s, want a 500 problem", path, w.Code, body)
		}
		if strings.Contains(string(body), "10.0.0.7") {
			t.Fatalf("%s: the problem leaks the error: %s", path, body)
		}
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("the error was not logged: %s", logs.String())
	}
}
