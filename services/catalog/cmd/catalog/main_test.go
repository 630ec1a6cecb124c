package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// TestBinaryServesChecksHealthAndStopsOnSIGTERM builds the catalog binary,
// checks the settings it says it reads,
// runs it as a container would (configuration from the environment, JSON
// logs on stderr), asks `catalog healthcheck` about it, and stops it with
// SIGTERM: exit status 0.
func TestBinaryServesChecksHealthAndStopsOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "catalog")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "settings").Output()
	if err != nil {
		t.Fatalf("catalog settings: %v", err)
	}
	want := "AUTH_AUDIENCE AUTH_ISSUER AUTH_JWKS_URL CATALOG_SEED DATABASE_URL EVENTBUS_EXCHANGE EVENTBUS_QUEUE HTTP_ADDR INBOX_RETENTION LOG_LEVEL RABBITMQ_URL SHUTDOWN_TIMEOUT"
	if got := strings.Join(strings.Fields(string(out)), " "); got != want {
		t.Fatalf("catalog settings = %q, want %q", got, want)
	}
	if err := exec.Command(bin, "frobnicate").Run(); err == nil {
		t.Fatal("an unknown subcommand exited 0")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	exchange, prefix := testkit.Broker(t)
	env := append(os.Environ(),
		"HTTP_ADDR="+addr,
		"DATABASE_URL="+testkit.NewDatabase(t),
		"RABBITMQ_URL="+testkit.RabbitURL(),
		"EVENTBUS_EXCHANGE="+exchange,
		"EVENTBUS_QUEUE="+prefix+"_catalog",
		"LOG_LEVEL=info",
	)

	cmd := exec.Command(bin)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
	}()

	healthcheck := func() int {
		hc := exec.Command(bin, "healthcheck")
		hc.Env = env
		if err := hc.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				return ee.ExitCode()
			}
			t.Fatal(err)
		}
		return 0
	}
	deadline := time.Now().Add(60 * time.Second)
	for healthcheck() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("never became ready; stderr:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	res, err := http.Get("http://" + addr + "/api/catalog/items/1")
	if err != nil || res.StatusCode != http.StatusOK || res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("GET item 1: %v %v", err, res)
	}
	res.Body.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("still running after SIGTERM; stderr:\n%s", stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !strings.HasPrefix(line, "{") || !strings.Contains(line, `"service":"catalog"`) {
			t.Fatalf("log line is not a JSON line of the catalog: %s", line)
		}
	}
	if !strings.Contains(stderr.String(), `"route":"/api/catalog/items/{id}"`) {
		t.Fatalf("no access log line for the request; stderr:\n%s", stderr.String())
	}
}
