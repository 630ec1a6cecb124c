package service_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
)

func readyz(base string) (int, map[string]string) {
	res, err := http.Get(base + "/readyz")
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body.Checks
}

// With PostgreSQL and RabbitMQ unreachable the service still starts, says
// what it waits for on /readyz, and becomes ready once both come up; then
// SIGTERM-like cancellation stops it cleanly (testkit.RunService fails the
// test otherwise).
func TestStartsWithDependenciesDown(t *testing.T) {
	down := testkit.CutDependencies(t)
	env := down.Env()
	env["GRACE_PERIOD"] = "1s"
	s := underTest(t, testkit.LaunchService(t, "ordering", service.New, env, nil), down.DatabaseURL)

	var checks map[string]string
	testkit.WaitFor(t, "a not-ready answer naming the database and the broker", func() bool {
		var code int
		code, checks = readyz(s.URL)
		return code == http.StatusServiceUnavailable &&
			strings.HasPrefix(checks["database"], "failing") && strings.HasPrefix(checks["broker"], "failing")
	})
	if code := host.Healthcheck(s.Addr); code == 0 {
		t.Fatal("healthcheck passed while the service is not ready")
	}
	if res, err := http.Get(s.URL + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz while dependencies are down: %v %v", res, err)
	}

	down.Restore()
	testkit.WaitFor(t, "readiness once both are up", func() bool {
		code, _ := readyz(s.URL)
		return code == http.StatusOK
	})
	if code := host.Healthcheck(s.Addr); code != 0 {
		t.Fatalf("healthcheck = %d once ready", code)
	}
	if types := s.cardTypes(); len(types) != 3 {
		t.Fatalf("card types after a late start: %v", types)
	}
}
