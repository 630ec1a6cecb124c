package service_test

import (
	"io"
	"testing"

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
	loadgen := testkit.BuildHTTPLoad(b)
	s := launchBasket(b, map[string]string{"DATABASE_URL": testkit.NewDatabase(b), "LOG_LEVEL": "info"}, io.Discard)
	testkit.WaitReady(b, s.URL)
	s.putBasket(b, "bench-buyer", item(1, "1.00"), item(2, "2.50"), item(3, "19.99"), item(4, "4.00"), item(5, "7.25"))

	loadgen.Token = s.Issuer.Buyer("bench-buyer")

	b.ResetTimer()
	r := loadgen.Run(b, s.URL+"/api/basket/bench-buyer", benchConnections, benchRequests)
	b.StopTimer()
	b.ReportMetric(r.RPS, "req/s")
	b.ReportMetric(r.Latency.P50, "p50_ms")
	b.ReportMetric(r.Latency.P99, "p99_ms")
	b.ReportMetric(float64(r.ServerCPU.Microseconds())/float64(benchRequests+4*benchConnections), "server_cpu_us/req")
	b.ReportMetric(0, "ns/op") // one fixed workload: the time per op means nothing
}
