package service_test

import (
	"log/slog"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
)

// TestRoutesAndOpenAPIAgree compares the routes of the real router with the
// operations of openapi.yaml, both ways. (Every answer of the component
// tests is checked against the document too: see startOrdering and the
// httpapi tests.)
func TestRoutesAndOpenAPIAgree(t *testing.T) {
	cfg, err := host.LoadConfig[service.Config]("ordering", "127.0.0.1:0", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	app, err := service.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(t.Context())
	testkit.LoadContract(t, "../../openapi.yaml").CheckRoutes(t, app.Router)
}
