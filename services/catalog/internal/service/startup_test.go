package service_test

import (
	"net/http"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/service"
)

// TestStartsWithDependenciesDownAndBecomesReady starts the service while
// neither PostgreSQL nor RabbitMQ can be reached: it serves /healthz, is not
// ready, and becomes ready (database created, migrated, seeded) once they
// come up.
func TestStartsWithDependenciesDownAndBecomesReady(t *testing.T) {
	down := testkit.CutDependencies(t)
	addr := testkit.LaunchService(t, "catalog", service.New, down.Env(), nil).Addr

	status := func(path string) int {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	testkit.WaitFor(t, "the service to listen", func() bool { return status("/healthz") == http.StatusOK })
	if s := status("/readyz"); s != http.StatusServiceUnavailable {
		t.Fatalf("readyz = %d with the database and the broker down, want 503", s)
	}
	if code := host.Healthcheck(addr); code == 0 {
		t.Fatal("healthcheck passed while not ready")
	}

	down.Restore()
	testkit.WaitFor(t, "readiness", func() bool { return status("/readyz") == http.StatusOK })
	if code := host.Healthcheck(addr); code != 0 {
		t.Fatalf("healthcheck exit code %d when ready, want 0", code)
	}
	if s := status("/api/catalog/items/1"); s != http.StatusOK {
		t.Fatalf("GET a seeded item: %d", s)
	}
}
