package testkit

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-chi/chi/v5"
)

// Contract is a service's OpenAPI document, to check the answers its tests
// get against it.
type Contract struct {
	Doc    *openapi3.T
	router routers.Router
}

var contracts loadedFiles[Contract]

// LoadContract loads and validates the OpenAPI document at path (e.g.
// "../../openapi.yaml"), once per test binary.
func LoadContract(t testing.TB, path string) *Contract {
	t.Helper()
	return contracts.get(t, path, loadContract)
}

func loadContract(path string) (*Contract, error) {
	openapi3filter.RegisterBodyDecoder("application/problem+json", openapi3filter.JSONBodyDecoder)
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	doc.Servers = nil // the document's server is "/", on whatever host: match paths only
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &Contract{Doc: doc, router: router}, nil
}

// Check fails the test when the document does not describe this answer: an
// undocumented status, content type or body for a documented operation, or
// anything but 404 or 405 from a route the document does not have.
func (c *Contract) Check(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s answered %d but is not in the OpenAPI document: %v", req.Method, req.URL.Path, status, err)
		}
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d, which the OpenAPI document does not describe: %v\n%.500s", req.Method, req.URL.Path, status, err, body)
	}
}

// CheckServiceRoutes builds the service as its main would, without running
// it, and fails the test unless its router serves exactly the operations of
// the OpenAPI document at path.
func CheckServiceRoutes[C any, P host.ServiceConfig[C]](t testing.TB, name string, build func(context.Context, C, *slog.Logger) (*host.App, error), path string) {
	t.Helper()
	cfg, err := host.LoadConfig[C, P](name, "127.0.0.1:0", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	app, err := build(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())
	LoadContract(t, path).CheckRoutes(t, app.Router)
}

// CheckRoutes fails the test unless the router serves exactly the
// operations the document describes.
func (c *Contract) CheckRoutes(t testing.TB, router chi.Routes) {
	t.Helper()
	var served []string
	err := chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served = append(served, method+" "+strings.TrimSuffix(route, "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range c.Doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	if !slices.Equal(served, documented) {
		t.Fatalf("the routes and the OpenAPI document differ\nserved:\n  %s\ndocumented:\n  %s",
			strings.Join(served, "\n  "), strings.Join(documented, "\n  "))
	}
}
