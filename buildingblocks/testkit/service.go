package testkit

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
)

// FreeAddr returns a loopback address (127.0.0.1:port) whose port was free
// a moment ago, for a service under test to listen on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// RunService runs app, as its main would, and returns at once, ready or
// not. When the test ends the run is cancelled, and an error
// from the graceful stop fails the test.
func RunService(t testing.TB, app *host.App) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the service stopped with an error: %v", err)
		}
	})
}

// WaitReady waits (see [WaitFor]) until the service at baseURL (e.g.
// http://127.0.0.1:41234) answers 200 on /readyz.
func WaitReady(t testing.TB, baseURL string) {
	t.Helper()
	WaitFor(t, "the service at "+baseURL+" to be ready", func() bool { return IsReady(baseURL) })
}

// IsReady reports whether the service at baseURL answers 200 on /readyz
// now.
func IsReady(baseURL string) bool {
	res, err := http.Get(baseURL + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}
