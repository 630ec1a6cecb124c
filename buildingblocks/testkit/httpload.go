//go:build unix

package testkit

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// HTTPLoad is buildingblocks/cmd/httpload built for a benchmark. It loads
// a server from a process of its own, so that the load and the server (the
// benchmark's process) do not share a Go runtime.
type HTTPLoad struct {
	bin string
	// Token, when set, goes with every request as a bearer token.
	Token string
}

// BuildHTTPLoad builds httpload in the benchmark's temporary directory.
func BuildHTTPLoad(b *testing.B) HTTPLoad {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "httpload")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/eshop-go/eshop-go/buildingblocks/cmd/httpload").CombinedOutput(); err != nil {
		b.Fatalf("build httpload: %v\n%s", err, out)
	}
	return HTTPLoad{bin: bin}
}

// HTTPLoadResult is what one run of httpload measured (the JSON line it
// prints), and ServerCPU, the CPU time this process spent meanwhile.
type HTTPLoadResult struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Non2xx   int     `json:"non_2xx"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"requests_per_second"`
	Latency  struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"latency_ms"`
	ServerCPU time.Duration `json:"-"`
}

// Run sends requests GETs of url over connections keep-alive connections,
// after a warm-up of 4 per connection. An error or an answer other than 2xx
// fails the benchmark.
func (h HTTPLoad) Run(b *testing.B, url string, connections, requests int) HTTPLoadResult {
	b.Helper()
	cpuBefore := processCPU(b)
	cmd := exec.Command(h.bin, "-url", url, "-c", strconv.Itoa(connections),
		"-n", strconv.Itoa(requests), "-warmup", strconv.Itoa(4*connections))
	if h.Token != "" {
		cmd.Env = append(os.Environ(), "HTTPLOAD_TOKEN="+h.Token)
	}
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("httpload %s: %v\n%s", url, err, out)
	}
	cpu := processCPU(b) - cpuBefore
	var r HTTPLoadResult
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatalf("httpload output %q: %v", out, err)
	}
	if r.Errors > 0 || r.Non2xx > 0 || r.Requests != requests {
		b.Fatalf("httpload %s: %s", url, out)
	}
	r.ServerCPU = cpu
	return r
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
