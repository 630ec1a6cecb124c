package host

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// unmatchedRoute is the http_route of a request no route matched: never the
// raw path, which would make a series per URL.
const unmatchedRoute = "unmatched"

// scrapeTimeout bounds what a scrape asks the database and the broker.
const scrapeTimeout = 2 * time.Second

// metrics is an app's Prometheus registry (its own, not the global one, so
// that several apps in one test process do not collide) and the series of
// docs/observability.md that the HTTP server and the event bus feed. It is
// the bus's rabbitmq.Metrics.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	sent     *prometheus.CounterVec
	consumed *prometheus.CounterVec
	process  *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_server_request_duration_seconds", Help: "Duration of HTTP requests, by route template.",
		}, []string{"http_request_method", "http_route", "http_response_status_code"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "messaging_client_sent_messages_total", Help: "Events published and confirmed by the broker.",
		}, []string{"messaging_destination_name"}),
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "messaging_client_consumed_messages_total", Help: "Deliveries handled, by outcome (ack, retry, dead_letter, duplicate).",
		}, []string{"messaging_destination_name", "outcome"}),
		process: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "messaging_process_duration_seconds", Help: "Time the handlers of a delivery took, transaction included.",
		}, []string{"messaging_destination_name"}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.sent, m.consumed, m.process)
	return m
}

// Sent counts an event the broker confirmed.
func (m *metrics) Sent(event string) { m.sent.WithLabelValues(event).Inc() }

// Consumed counts a settled delivery and, if handlers ran, their time.
func (m *metrics) Consumed(event, outcome string, took time.Duration) {
	m.consumed.WithLabelValues(event, outcome).Inc()
	if took > 0 {
		m.process.WithLabelValues(event).Observe(took.Seconds())
	}
}

// handler serves GET /metrics in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// instrument times every request by its chi route template. A panic is
// counted as a 500 (the router's Recover, further out, answers it).
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			status := sw.status
			p := recover()
			if p != nil {
				status = http.StatusInternalServerError
			}
			route := unmatchedRoute
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			m.requests.WithLabelValues(r.Method, route, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var (
	outboxPendingDesc = prometheus.NewDesc("eshop_outbox_pending_events",
		"Committed events not yet confirmed by the broker.", nil, nil)
	outboxAgeDesc = prometheus.NewDesc("eshop_outbox_oldest_pending_age_seconds",
		"Age of the oldest pending event: how far the relay is behind.", nil, nil)
	deadLetterDesc = prometheus.NewDesc("eshop_eventbus_dead_letter_messages",
		"Messages parked in the service's dead-letter queue.", []string{"queue"}, nil)
)

// outboxCollector reads the outbox gauges from the table at scrape time:
// always true whichever instance's relay publishes and across restarts,
// and cheap (the partial index on pending rows). A failed query omits both
// series from that scrape rather than report a stale or false value.
type outboxCollector struct{ db *pgxpool.Pool }

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPendingDesc
	ch <- outboxAgeDesc
}

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	var pending int64
	var age float64
	err := c.db.QueryRow(ctx, `
SELECT count(*),
       coalesce(extract(epoch FROM now() - (SELECT created_at FROM integration_event_log
                                            WHERE state = 'pending' ORDER BY seq LIMIT 1)), 0)
FROM integration_event_log WHERE state = 'pending'`).Scan(&pending, &age)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, max(age, 0))
}

// deadLetterCollector reads the depth of the service's dead-letter queue at
// scrape time (a passive declare). When the broker does not answer within
// scrapeTimeout the series is omitted from that scrape (absent, not a stale
// value); the scrape itself never fails.
type deadLetterCollector struct{ cfg rabbitmq.Config }

func (c deadLetterCollector) Describe(ch chan<- *prometheus.Desc) { ch <- deadLetterDesc }

func (c deadLetterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1) // the dial itself does not heed ctx
	go func() {
		n, err := rabbitmq.DeadLetterCount(ctx, c.cfg)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.err == nil {
			ch <- prometheus.MustNewConstMetric(deadLetterDesc, prometheus.GaugeValue, float64(r.n), rabbitmq.DeadLetterQueue(c.cfg.Queue))
		}
	case <-ctx.Done():
	}
}
