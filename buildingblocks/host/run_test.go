package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func readyz(addr string) (int, map[string]any) {
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

// waitFor polls cond; it bounds the wait so a broken service fails the test
// instead of hanging it (it asserts no duration).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

func TestNotReadyUntilStartSucceedsThenGracefulStop(t *testing.T) {
	addr := freeAddr(t)
	health := host.NewHealth()
	var dependencyUp atomic.Bool
	health.Add("dependency", func(context.Context) error {
		if !dependencyUp.Load() {
			return errors.New("down")
		}
		return nil
	})
	release := make(chan struct{})
	inFlight := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", health.Live)
	mux.HandleFunc("GET /readyz", health.Ready)
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, _ *http.Request) {
		close(inFlight)
		<-release
		w.Write([]byte("done"))
	})

	var workerStopped, stopped atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- host.Run(ctx, host.Service{
			Addr: addr, Handler: mux, Health: health, Logger: slog.New(slog.DiscardHandler),
			Start: func(context.Context) error {
				if !dependencyUp.Load() {
					return errors.New("dependency down")
				}
				return nil
			},
			Workers: []func(context.Context) error{func(ctx context.Context) error {
				<-ctx.Done()
				workerStopped.Store(true)
				return nil
			}},
			Stop: func(context.Context) error {
				if !workerStopped.Load() {
					return errors.New("Stop ran before the workers returned")
				}
				stopped.Store(true)
				return nil
			},
		})
	}()

	waitFor(t, "the server to listen", func() bool { s, _ := readyz(addr); return s != 0 })
	if s, body := readyz(addr); s != http.StatusServiceUnavailable {
		t.Fatalf("readyz = %d %v with the dependency down, want 503", s, body)
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v, want 200 while the process runs", err, res)
	}
	dependencyUp.Store(true)
	waitFor(t, "readiness", func() bool { s, _ := readyz(addr); return s == http.StatusOK })
	if code := host.Healthcheck(addr); code != 0 {
		t.Fatalf("healthcheck exit code %d, want 0", code)
	}

	slow := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		defer res.Body.Close()
		var b [4]byte
		n, _ := res.Body.Read(b[:])
		slow <- string(b[:n])
	}()
	<-inFlight
	cancel()
	time.Sleep(50 * time.Millisecond) // let the stop begin while the request runs
	close(release)
	if got := <-slow; got != "done" {
		t.Fatalf("in-flight request got %q, want it finished", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !stopped.Load() {
		t.Fatal("Stop was not called")
	}
	if code := host.Healthcheck(addr); code == 0 {
		t.Fatal("healthcheck passed after the service stopped")
	}
}

func TestSettingsReadListsWhatWasLookedUp(t *testing.T) {
	t.Setenv("HOST_TEST_SETTING", "5s")
	if d, err := host.EnvDuration("HOST_TEST_SETTING", 0); err != nil || d != 5*time.Second {
		t.Fatalf("EnvDuration = %v, %v", d, err)
	}
	host.Env("HOST_TEST_UNSET", "default")
	got := host.SettingsRead()
	for _, want := range []string{"HOST_TEST_SETTING", "HOST_TEST_UNSET"} {
		if !slices.Contains(got, want) {
			t.Errorf("SettingsRead() = %v, want it to hold %s", got, want)
		}
	}
}
