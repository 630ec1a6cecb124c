package service_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/eshop-go/eshop-go/services/catalog/internal/service"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-chi/chi/v5"
)

const openapiPath = "../../openapi.yaml"

var loadDoc = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(openapiPath)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	// The document's server is "/", on whatever host: match paths only.
	doc.Servers = nil
	return doc, nil
})

func openapiDoc(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := loadDoc()
	if err != nil {
		t.Fatalf("%s: %v", openapiPath, err)
	}
	return doc
}

// TestRoutesAndOpenAPIAgree compares the routes of the real router with the
// operations of openapi.yaml, both ways.
func TestRoutesAndOpenAPIAgree(t *testing.T) {
	doc := openapiDoc(t)
	svc, err := service.New(service.Config{HTTPAddr: "127.0.0.1:0"}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(context.Background())

	var served []string
	err = chi.Walk(svc.Handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served = append(served, method+" "+strings.TrimSuffix(route, "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(served)
	sort.Strings(documented)
	if strings.Join(served, "\n") != strings.Join(documented, "\n") {
		t.Fatalf("routes and openapi.yaml differ\nserved:\n  %s\ndocumented:\n  %s",
			strings.Join(served, "\n  "), strings.Join(documented, "\n  "))
	}
}

// responseChecker validates responses of the service against openapi.yaml.
type responseChecker struct {
	router routers.Router
}

func newResponseChecker(t testing.TB) *responseChecker {
	t.Helper()
	r, err := legacy.NewRouter(openapiDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	return &responseChecker{router: r}
}

// check fails the test when a response to a documented operation does not
// match the document: an undocumented status, a wrong content type, or a
// body that breaks the schema.
func (rc *responseChecker) check(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	route, params, err := rc.router.FindRoute(req)
	if err != nil {
		// Only the routes the service does not serve may be missing.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s answered %d but is not in openapi.yaml: %v", req.Method, req.URL.Path, status, err)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{ExcludeRequestBody: true, ExcludeRequestQueryParams: true},
		},
		Status: status,
		Header: header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d %.200s, which openapi.yaml does not allow: %v", req.Method, req.URL, status, body, err)
	}
}
