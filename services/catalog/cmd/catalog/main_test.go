package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// TestBinaryServesChecksHealthAndStopsOnSIGTERM builds the catalog binary,
// checks the settings it says it reads,
// runs it as a container would (configuration from the environment, JSON
// logs on stderr), asks `catalog healthcheck` about it, and stops it with
// SIGTERM: exit status 0.
func TestBinaryServesChecksHealthAndStopsOnSIGTERM(t *testing.T) {
	addr := testkit.FreeAddr(t)
	exchange, prefix := testkit.Broker(t)
	bin := testkit.BuildBinary(t, "catalog",
		"HTTP_ADDR="+addr,
		"DATABASE_URL="+testkit.NewDatabase(t),
		"RABBITMQ_URL="+testkit.RabbitURL(),
		"EVENTBUS_EXCHANGE="+exchange,
		"EVENTBUS_QUEUE="+prefix+"_catalog",
		"LOG_LEVEL=info",
	)
	out, err := bin.Command("settings").Output()
	if err != nil {
		t.Fatalf("catalog settings: %v", err)
	}
	want := "AUTH_AUDIENCE AUTH_ISSUER AUTH_JWKS_URL CATALOG_SEED DATABASE_URL EVENTBUS_EXCHANGE EVENTBUS_PUBLISHER_USERS EVENTBUS_QUEUE HTTP_ADDR INBOX_RETENTION LOG_LEVEL RABBITMQ_URL SHUTDOWN_TIMEOUT"
	if got := strings.Join(strings.Fields(string(out)), " "); got != want {
		t.Fatalf("catalog settings = %q, want %q", got, want)
	}
	if err := bin.Command("frobnicate").Run(); err == nil {
		t.Fatal("an unknown subcommand exited 0")
	}

	bin.Start()
	res, err := http.Get("http://" + addr + "/api/catalog/items/1")
	if err != nil || res.StatusCode != http.StatusOK || res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("GET item 1: %v %v", err, res)
	}
	res.Body.Close()

	logs := bin.Stop()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !strings.HasPrefix(line, "{") || !strings.Contains(line, `"service":"catalog"`) {
			t.Fatalf("log line is not a JSON line of the catalog: %s", line)
		}
	}
	if !strings.Contains(logs, `"route":"/api/catalog/items/{id}"`) {
		t.Fatalf("no access log line for the request; stderr:\n%s", logs)
	}
}
