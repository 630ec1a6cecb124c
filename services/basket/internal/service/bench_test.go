package service_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// Workload of BenchmarkGetBasket: benchRequests GETs of benchBuyers
// baskets of 5 lines each, from benchClients concurrent clients.
const (
	benchBuyers   = 1000
	benchRequests = 20_000
	benchClients  = 32
)

// BenchmarkGetBasket measures GET /api/basket/{buyerId} against the real
// service (HTTP server, middleware, PostgreSQL) with an in-process load
// generator: each iteration sends benchRequests requests from benchClients
// concurrent clients and reports requests/s and the p50 and p99 latencies.
func BenchmarkGetBasket(b *testing.B) {
	s := startBasket(b)
	lines := []itemJSON{item(1, "1.00"), item(2, "2.50"), item(3, "19.99"), item(4, "0.00"), item(5, "7.25")}
	for i := range benchBuyers {
		s.putBasket(b, fmt.Sprintf("buyer-%d", i), lines...)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}

	b.ResetTimer()
	var totalReqs int
	var totalTime time.Duration
	var latencies []time.Duration
	for range b.N {
		lat := make([]time.Duration, benchRequests)
		next := make(chan int, benchRequests)
		for i := range benchRequests {
			next <- i
		}
		close(next)
		errs := make(chan error, benchClients)
		start := time.Now()
		var wg sync.WaitGroup
		for range benchClients {
			wg.Go(func() {
				for i := range next {
					t0 := time.Now()
					res, err := client.Get(fmt.Sprintf("%s/api/basket/buyer-%d", s.url, i%benchBuyers))
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("status %d", res.StatusCode)
						return
					}
					lat[i] = time.Since(t0)
				}
			})
		}
		wg.Wait()
		totalTime += time.Since(start)
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		totalReqs += benchRequests
		latencies = append(latencies, lat...)
	}
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(totalReqs)/totalTime.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
}
