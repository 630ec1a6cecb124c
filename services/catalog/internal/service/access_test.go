package service_test

import (
	"net/http"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/service"
)

// The access table of docs/http-api.md for the catalog: reads are public,
// writes need the admin role.
func TestAccess(t *testing.T) {
	c := startCatalog(t)
	anyone := c.Client.As("")
	for _, path := range []string{"/api/catalog/items", "/api/catalog/items/by?ids=1,2", "/api/catalog/items/1",
		"/api/catalog/catalogtypes", "/api/catalog/catalogbrands", "/healthz"} {
		anyone.For(t).JSON("GET", path, nil, http.StatusOK, nil)
	}
	var it map[string]any
	c.json("GET", "/api/catalog/items/2", "", http.StatusOK, &it)
	delete(it, "id")
	writes := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/catalog/items", it},
		{"PUT", "/api/catalog/items/2", it},
		{"DELETE", "/api/catalog/items/2", nil},
	}
	buyer := c.Client.As(c.Issuer.Buyer("alice"))
	for _, w := range writes {
		testkit.CheckAuthRequired(t, c.Client, c.Issuer, w.method, w.path, w.body, "If-Match", `"1"`)
		buyer.For(t).Problem(w.method, w.path, w.body, http.StatusForbidden, "If-Match", `"1"`)
	}
	c.Client.For(t).JSON("POST", "/api/catalog/items", it, http.StatusCreated, nil) // the admin may
	c.Client.For(t).JSON("DELETE", "/api/catalog/items/2", nil, http.StatusNoContent, nil)
	var after map[string]any
	c.json("GET", "/api/catalog/items/1", "", http.StatusOK, &after)
	if after["name"] == nil {
		t.Fatal("item 1 is gone")
	}
}

// A token signed with a key the issuer rotated in after the catalog cached
// its keys is accepted: the catalog fetches the keys again.
func TestATokenOfARotatedKeyIsAccepted(t *testing.T) {
	c := startCatalog(t)
	c.Client.For(t).JSON("DELETE", "/api/catalog/items/3", nil, http.StatusNoContent, nil) // caches the first key
	c.Issuer.Rotate()
	c.Client.As(c.Issuer.Admin()).For(t).JSON("DELETE", "/api/catalog/items/4", nil, http.StatusNoContent, nil)
}

// An issuer that is down when the catalog starts does not keep it from
// being ready; a write answers 503 until the issuer is back, the reads
// are served all along.
func TestAnIssuerDownAtStart(t *testing.T) {
	iss := testkit.NewIssuer(t)
	iss.Stop()
	env := iss.Env()
	env["DATABASE_URL"] = testkit.NewDatabase(t)
	s := testkit.StartService(t, "catalog", service.New, env, nil) // ready
	s.Client.Contract = testkit.LoadContract(t, "../../openapi.yaml")
	s.Client.JSON("GET", "/api/catalog/items/1", nil, http.StatusOK, nil)
	testkit.CheckIssuerComesBack(t, s.Client.As(iss.Admin()), iss, "DELETE", "/api/catalog/items/5", nil, http.StatusNoContent)
}
