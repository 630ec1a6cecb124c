package testkit

import (
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is a parsed scrape of a service's GET /metrics, by family name.
type Metrics map[string]*dto.MetricFamily

// Scrape reads GET /metrics of the service at addr (e.g. 127.0.0.1:41234),
// without a token, and parses it; anything but a 200 in the Prometheus
// text format fails the test.
func Scrape(t testing.TB, addr string) Metrics {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("testkit: scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("testkit: GET /metrics without a token: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("testkit: parse /metrics: %v", err)
	}
	return families
}

// Value returns the series of family whose labels are exactly labels
// (name, value, name, value …): a counter's or gauge's value, a
// histogram's number of observations; -1 if there is no such series.
func (m Metrics) Value(family string, labels ...string) float64 {
	for _, s := range m[family].GetMetric() {
		got := map[string]string{}
		for _, l := range s.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := len(got) == len(labels)/2
		for i := 0; match && i+1 < len(labels); i += 2 {
			match = got[labels[i]] == labels[i+1]
		}
		switch {
		case !match:
		case s.Counter != nil:
			return s.GetCounter().GetValue()
		case s.Gauge != nil:
			return s.GetGauge().GetValue()
		case s.Histogram != nil:
			return float64(s.GetHistogram().GetSampleCount())
		}
	}
	return -1
}
