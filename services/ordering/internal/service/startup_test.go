package service_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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
// SIGTERM-like cancellation stops it cleanly.
func TestStartsWithDependenciesDown(t *testing.T) {
	exchange, prefix := testkit.Broker(t)
	db, err := url.Parse(testkit.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	rabbit, err := url.Parse(testkit.RabbitURL())
	if err != nil {
		t.Fatal(err)
	}
	pgProxy := testkit.NewProxy(t, db.Host)
	mqProxy := testkit.NewProxy(t, rabbit.Host)
	pgProxy.Cut()
	mqProxy.Cut()

	addr := testkit.FreeAddr(t)
	svc, err := service.New(context.Background(), service.Config{
		HTTPAddr: addr, DatabaseURL: pgProxy.URL(db.String()), RabbitMQURL: mqProxy.URL(rabbit.String()),
		Exchange: exchange, Queue: prefix + "_ordering", GracePeriod: time.Second, ShutdownTimeout: 10 * time.Second,
	}, slog.New(slog.NewJSONHandler(testkit.ShowLogsIfAsked(io.Discard), nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- host.Run(ctx, svc) }()
	base := "http://" + addr

	var checks map[string]string
	testkit.WaitFor(t, "a not-ready answer naming the database and the broker", func() bool {
		var code int
		code, checks = readyz(base)
		return code == http.StatusServiceUnavailable &&
			strings.HasPrefix(checks["database"], "failing") && strings.HasPrefix(checks["broker"], "failing")
	})
	if code := host.Healthcheck(addr); code == 0 {
		t.Fatal("healthcheck passed while the service is not ready")
	}
	if res, err := http.Get(base + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz while dependencies are down: %v %v", res, err)
	}

	pgProxy.Restore()
	mqProxy.Restore()
	testkit.WaitFor(t, "readiness once both are up", func() bool {
		code, _ := readyz(base)
		return code == http.StatusOK
	})
	if code := host.Healthcheck(addr); code != 0 {
		t.Fatalf("healthcheck = %d once ready", code)
	}
	var types []map[string]any
	if code := getJSON(t, base+"/api/orders/cardtypes", &types); code != http.StatusOK || len(types) != 3 {
		t.Fatalf("card types after a late start: %d %v", code, types)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("stopped with an error: %v", err)
	}
}
