package testkit

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
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
// not, with a stop that ends the run gracefully and returns what App.Run
// returned (every call returns the same). When the test ends, a run the
// test did not stop is stopped, and an error from that stop fails the test.
func RunService(t testing.TB, app *host.App) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	stopOnce := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	var stoppedByTest atomic.Bool
	t.Cleanup(func() {
		if stoppedByTest.Load() {
			return
		}
		if err := stopOnce(); err != nil {
			t.Errorf("the service stopped with an error: %v", err)
		}
	})
	return func() error {
		stoppedByTest.Store(true)
		return stopOnce()
	}
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

// ServiceUnderTest is a service a test runs in-process, with its own
// address, exchange and queue.
type ServiceUnderTest struct {
	URL      string // e.g. http://127.0.0.1:41234
	Addr     string // 127.0.0.1:41234
	Exchange string
	Prefix   string // the names of the test's queues start with it
	Queue    string // the service's queue: Prefix + "_" + name
	// Client calls the service (checking answers against its OpenAPI
	// document when the test sets Client.Contract).
	Client *Client
	// Stop stops the service before the test ends and returns what its run
	// returned (see RunService).
	Stop func() error
}

// LaunchService reads the service's Config as its main would (see
// host.LoadConfig), from env plus a free HTTP_ADDR, the test broker's
// RABBITMQ_URL and an exchange and queue of the test's own (env may set any
// of them), builds it with build and runs it, and returns at once, ready or
// not; it stops when the test ends. The JSON logs go to logs, or, when logs
// is nil, their warnings and errors to the test's output.
func LaunchService[C any, P host.ServiceConfig[C]](t testing.TB, name string, build func(context.Context, C, *slog.Logger) (*host.App, error), env map[string]string, logs io.Writer) *ServiceUnderTest {
	t.Helper()
	exchange, prefix := Broker(t)
	all := map[string]string{
		"HTTP_ADDR":         FreeAddr(t),
		"RABBITMQ_URL":      RabbitURL(),
		"EVENTBUS_EXCHANGE": exchange,
		"EVENTBUS_QUEUE":    prefix + "_" + name,
		// Every service of the test publishes as the test broker's user.
		"EVENTBUS_PUBLISHER_USERS": "*=" + RabbitUser(),
	}
	maps.Copy(all, env)
	cfg, err := host.LoadConfig[C, P](name, "", all)
	if err != nil {
		t.Fatal(err)
	}
	level := P(&cfg).Base().LogLevel
	if logs == nil {
		logs, level = t.Output(), max(level, slog.LevelWarn)
	}
	app, err := build(context.Background(), cfg, host.NewLogger(ShowLogsIfAsked(logs), level, name))
	if err != nil {
		t.Fatal(err)
	}
	stop := RunService(t, app)
	addr := all["HTTP_ADDR"]
	return &ServiceUnderTest{
		URL: "http://" + addr, Addr: addr, Exchange: all["EVENTBUS_EXCHANGE"], Prefix: prefix, Queue: all["EVENTBUS_QUEUE"],
		Client: &Client{T: t, BaseURL: "http://" + addr}, Stop: stop,
	}
}

// StartService is LaunchService, then a wait until the service is ready.
func StartService[C any, P host.ServiceConfig[C]](t testing.TB, name string, build func(context.Context, C, *slog.Logger) (*host.App, error), env map[string]string, logs io.Writer) *ServiceUnderTest {
	t.Helper()
	s := LaunchService[C, P](t, name, build, env, logs)
	WaitReady(t, s.URL)
	return s
}
