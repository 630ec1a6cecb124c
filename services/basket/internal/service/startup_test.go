package service_test

import (
	"net/http"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// TestStartsWithDependenciesDown starts the service while the database and
// the broker are unreachable: it serves /healthz, reports not ready, and
// becomes ready and works once they come up.
func TestStartsWithDependenciesDown(t *testing.T) {
	t.Parallel()
	down := testkit.CutDependencies(t)
	s := launchBasket(t, down.Env(), nil)
	testkit.WaitFor(t, "the service to listen", func() bool {
		res, err := http.Get(s.URL + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	if status, body, _ := s.do(t, http.MethodGet, "/readyz", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with nothing reachable: %d %s, want 503", status, body)
	}

	down.Restore()
	testkit.WaitReady(t, s.URL)
	s.putBasket(t, "alice", item(7, "10.00"))
	s.checkPrices(t, "alice", "10.00/-")
}
