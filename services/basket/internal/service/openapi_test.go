package service_test

import (
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/service"
)

// TestRoutesAndOpenAPIAgree compares the routes of the real router with the
// operations of openapi.yaml, both ways. (Every answer of the component
// tests is checked against the document too: see launchBasket.)
func TestRoutesAndOpenAPIAgree(t *testing.T) {
	testkit.CheckServiceRoutes(t, "basket", service.New, "../../openapi.yaml")
}
