package service_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// The workload of BenchmarkGetBasket: requests over keep-alive connections,
// from buildingblocks/cmd/httpload in its own process.
const (
	benchRequests    = 20_000
	benchConnections = 32
)

// BenchmarkGetBasket measures GET /api/basket/{buyerId} of a five-line
// basket on the real service (router, middleware with an info-level access
// log, PostgreSQL). httpload runs as a separate process, so that the load
// and the server do not share a Go runtime. Each run does one fixed
// workload and reports requests/s, the p50 and p99 latencies and the CPU
// time the server (this process) spent per request, which moves less than
// throughput with the load of the shared machine.
func BenchmarkGetBasket(b *testing.B) {
	loadgen := filepath.Join(b.TempDir(), "httpload")
	if out, err := exec.Command("go", "build", "-o", loadgen, "github.com/eshop-go/eshop-go/buildingblocks/cmd/httpload").CombinedOutput(); err != nil {
		b.Fatalf("build httpload: %v\n%s", err, out)
	}
	s := launchBasket(b, map[string]string{"DATABASE_URL": testkit.NewDatabase(b), "LOG_LEVEL": "info"}, io.Discard)
	testkit.WaitReady(b, s.URL)
	s.putBasket(b, "bench-buyer", item(1, "1.00"), item(2, "2.50"), item(3, "19.99"), item(4, "0.00"), item(5, "7.25"))

	b.ResetTimer()
	cpuBefore := processCPU(b)
	out, err := exec.Command(loadgen, "-url", s.URL+"/api/basket/bench-buyer", "-c", strconv.Itoa(benchConnections),
		"-n", strconv.Itoa(benchRequests), "-warmup", strconv.Itoa(4*benchConnections)).Output()
	if err != nil {
		b.Fatalf("httpload: %v\n%s", err, out)
	}
	cpu := processCPU(b) - cpuBefore
	b.StopTimer()
	var r struct {
		Requests int     `json:"requests"`
		Errors   int     `json:"errors"`
		Non2xx   int     `json:"non_2xx"`
		RPS      float64 `json:"requests_per_second"`
		Latency  struct {
			P50 float64 `json:"p50"`
			P99 float64 `json:"p99"`
		} `json:"latency_ms"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatalf("httpload output %q: %v", out, err)
	}
	if r.Errors > 0 || r.Non2xx > 0 || r.Requests != benchRequests {
		b.Fatalf("httpload: %s", out)
	}
	b.ReportMetric(r.RPS, "req/s")
	b.ReportMetric(r.Latency.P50, "p50_ms")
	b.ReportMetric(r.Latency.P99, "p99_ms")
	b.ReportMetric(float64(cpu.Microseconds())/float64(benchRequests+4*benchConnections), "server_cpu_us/req")
	b.ReportMetric(0, "ns/op") // one fixed workload: the time per op means nothing
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
