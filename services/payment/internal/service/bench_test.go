package service_test

import (
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// BenchmarkAnswers measures payment answering 1000 requests published at
// once: each answer published and confirmed before its request is
// acknowledged.
func BenchmarkAnswers(b *testing.B) {
	const requests = 1000
	_, br := startPayment(b, nil, nil)
	var elapsed time.Duration
	for b.Loop() {
		before := br.answersQueued()
		start := time.Now()
		for order := 1; order <= requests; order++ {
			br.request(order)
		}
		testkit.WaitFor(b, "every answer", func() bool { return br.answersQueued() >= before+requests })
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(requests*b.N)/elapsed.Seconds(), "answers/s")
	b.ReportMetric(0, "ns/op")
}
