package httpapi_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

func TestServeOpenAPIServesTheDocumentAsYAML(t *testing.T) {
	r := httpapi.NewRouter(slog.New(slog.DiscardHandler))
	doc := []byte("openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\n")
	httpapi.ServeOpenAPI(r, doc)
	srv := httptest.NewServer(r)
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/yaml" || string(body) != string(doc) {
		t.Errorf("GET /openapi.yaml: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}
