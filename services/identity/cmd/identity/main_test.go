package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// TestBinaryServesWithoutABrokerAndStopsOnSIGTERM builds the identity
// binary, checks the settings it reads, runs it with no broker where
// RABBITMQ_URL points (it has no events), asks `identity healthcheck`,
// rotates its keys with `identity rotate-keys`, and stops it with SIGTERM: exit 0, JSON log lines only, none with the demo
// password.
func TestBinaryServesWithoutABrokerAndStopsOnSIGTERM(t *testing.T) {
	addr := testkit.FreeAddr(t)
	const password = "demo-secret-that-must-not-be-logged"
	bin := testkit.BuildBinary(t, "identity",
		"HTTP_ADDR="+addr, "DATABASE_URL="+testkit.NewDatabase(t), "IDENTITY_ISSUER=http://"+addr,
		"RABBITMQ_URL=amqp://guest:guest@"+testkit.FreeAddr(t)+"/", "IDENTITY_DEMO_PASSWORD="+password,
		"IDENTITY_PASSWORD_COST=4", "LOG_LEVEL=debug")
	out, err := bin.Command("settings").Output()
	if err != nil {
		t.Fatalf("identity settings: %v", err)
	}
	want := "AUTH_AUDIENCE AUTH_ISSUER AUTH_JWKS_URL DATABASE_URL EVENTBUS_EXCHANGE EVENTBUS_PUBLISHER_USERS EVENTBUS_QUEUE HTTP_ADDR IDENTITY_AUTHORIZE_RATE IDENTITY_CLIENTS IDENTITY_COOKIE_KEY IDENTITY_DEMO_PASSWORD " +
		"IDENTITY_ISSUER IDENTITY_KEY_ROTATION IDENTITY_KEY_SEAL IDENTITY_PASSWORD_COST IDENTITY_TRUSTED_PROXIES INBOX_RETENTION LOG_LEVEL RABBITMQ_URL SHUTDOWN_TIMEOUT"
	if got := strings.Join(strings.Fields(string(out)), " "); got != want {
		t.Fatalf("identity settings = %q, want %q", got, want)
	}

	bin.Start()
	first := keyIDs(t, "http://"+addr+"/keys")
	if out, err := bin.Command("rotate-keys").CombinedOutput(); err != nil {
		t.Fatalf("identity rotate-keys: %v\n%s", err, out)
	}
	if rotated := keyIDs(t, "http://"+addr+"/keys"); len(first) != 1 || len(rotated) != 2 || rotated[1] != first[0] {
		t.Errorf("JWKS key ids %v, then after rotate-keys %v; want a new key before the first", first, rotated)
	}
	logs := bin.Stop()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !strings.HasPrefix(line, "{") || !strings.Contains(line, `"service":"identity"`) {
			t.Fatalf("log line is not a JSON line of identity: %s", line)
		}
	}
	if strings.Contains(logs, password) {
		t.Fatal("the demo password is in the logs")
	}
	if !strings.Contains(logs, "IDENTITY_COOKIE_KEY is not set") {
		t.Errorf("no word in the log of the random cookie key; logs:\n%s", logs)
	}
}

// keyIDs are the kids of the JWKS at url, in its order.
func keyIDs(t *testing.T, url string) []string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var jwks struct {
		Keys []struct {
			ID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(res.Body).Decode(&jwks); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range jwks.Keys {
		ids = append(ids, k.ID)
	}
	return ids
}
