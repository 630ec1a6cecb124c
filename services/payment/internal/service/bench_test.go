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
	br, cfg := newBroker(b)
	startPayment(b, cfg)
	var elapsed time.Duration
	for b.Loop() {
		before := br.ready(br.answers)
		start := time.Now()
		for order := 1; order <= requests; order++ {
			br.request(order)
		}
		testkit.WaitFor(b, "every answer", func() bool { return br.ready(br.answers) >= before+requests })
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(requests*b.N)/elapsed.Seconds(), "answers/s")
	b.ReportMetric(0, "ns/op")
}
