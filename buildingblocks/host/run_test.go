package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

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

func TestNotReadyUntilStartSucceedsThenGracefulStop(t *testing.T) {
	cfg, err := host.LoadConfig[testConfig]("hosttest", testkit.FreeAddr(t), map[string]string{"RABBITMQ_URL": testkit.RabbitURL()})
	if err != nil {
		t.Fatal(err)
	}
	// Its own exchange and queue, not the shared broker's eshop_event_bus
	// (which may be another version's, or another test's).
	exchange, prefix := testkit.Broker(t)
	cfg.Exchange, cfg.Queue = exchange, prefix+"_hosttest"
	addr := cfg.HTTPAddr
	app, err := host.NewApp(context.Background(), "hosttest", cfg.Config, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var dependencyUp atomic.Bool
	app.Health.Add("dependency", func(context.Context) error {
		if !dependencyUp.Load() {
			return errors.New("down")
		}
		return nil
	})
	release := make(chan struct{})
	inFlight := make(chan struct{})
	app.Router.Get("/slow", func(w http.ResponseWriter, _ *http.Request) {
		close(inFlight)
		<-release
		w.Write([]byte("done"))
	})
	app.OnStart(func(context.Context) error {
		if !dependencyUp.Load() {
			return errors.New("dependency down")
		}
		return nil
	})
	var workerStopped atomic.Bool
	app.Work(func(ctx context.Context) error {
		<-ctx.Done()
		workerStopped.Store(true)
		return nil
	})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()

	testkit.WaitFor(t, "the server to listen", func() bool { s, _ := readyz(addr); return s != 0 })
	if s, body := readyz(addr); s != http.StatusServiceUnavailable {
		t.Fatalf("readyz = %d %v with the dependency down, want 503", s, body)
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v, want 200 while the process runs", err, res)
	}
	dependencyUp.Store(true)
	testkit.WaitFor(t, "readiness", func() bool { s, _ := readyz(addr); return s == http.StatusOK })
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
	if !workerStopped.Load() {
		t.Fatal("the worker was not stopped")
	}
	if err := app.Bus.Check(context.Background()); err == nil {
		t.Fatal("the bus is still open after the stop")
	}
	if code := host.Healthcheck(addr); code == 0 {
		t.Fatal("healthcheck passed after the service stopped")
	}
}
