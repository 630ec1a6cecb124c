package service_test

import (
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
)

// TestRoutesAndOpenAPIAgree compares the routes of the real router with the
// operations of openapi.yaml, both ways. (Every answer of the component
// tests is checked against the document too: see startOrdering and the
// httpapi tests.)
func TestRoutesAndOpenAPIAgree(t *testing.T) {
	testkit.CheckServiceRoutes(t, "ordering", service.New, "../../openapi.yaml")
}
