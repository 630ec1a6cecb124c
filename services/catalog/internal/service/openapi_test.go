package service_test

import (
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/service"
)

// TestRoutesAndOpenAPIAgree compares the routes of the real router with the
// operations of openapi.yaml, both ways. (Every answer of the component
// tests is checked against the document too: see startCatalog.)
func TestRoutesAndOpenAPIAgree(t *testing.T) {
	testkit.CheckServiceRoutes(t, "catalog", service.New, "../../openapi.yaml")
}
