package host

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Health answers /healthz (the process runs) and /readyz (it can do its
// work: started, and every dependency answers).
type Health struct {
	mu      sync.Mutex
	checks  []check
	started bool
	startup string
}

type check struct {
	name  string
	probe func(context.Context) error
}

// NewHealth returns a Health with no checks that is not started yet.
func NewHealth() *Health { return &Health{startup: "starting"} }

// Add registers a readiness check, e.g. ("database", pool.Ping).
func (h *Health) Add(name string, probe func(context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = append(h.checks, check{name, probe})
}

func (h *Health) setStartup(started bool, status string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.started, h.startup = started, status
}

// Live answers 200 while the process runs.
func (h *Health) Live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"alive"}` + "\n"))
}

// Ready answers 200 when the service has started and every check passes,
// else 503; the body names each check and its state.
func (h *Health) Ready(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	checks := append([]check(nil), h.checks...)
	started, startup := h.started, h.startup
	h.mu.Unlock()

	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	results := map[string]string{"startup": startup}
	ready := started
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state := "ok"
			if err := c.probe(ctx); err != nil {
				state = "failing: " + err.Error()
			}
			mu.Lock()
			defer mu.Unlock()
			results[c.name] = state
			if state != "ok" {
				ready = false
			}
		}()
	}
	wg.Wait()

	status, word := http.StatusOK, "ready"
	if !ready {
		status, word = http.StatusServiceUnavailable, "not ready"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"status": word, "checks": results})
}
