package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is what to load and how hard.
type Config struct {
	URL    string
	Method string
	// Rate, when positive, is the offered load in requests per second: the
	// load is open, each request sent at its time whatever the earlier ones
	// are doing, over at most Connections connections. Zero is a closed
	// loop: Connections connections, each sending its next request when the
	// answer to the last one came, which measures the throughput only.
	Rate        float64
	Connections int
	// Requests, when positive, is the number of requests to send; else the
	// load lasts Duration.
	Requests int
	Duration time.Duration
	// Warmup requests are sent first, over all the connections, and not
	// counted.
	Warmup  int
	Timeout time.Duration
	// Token, when set, is sent with every request as a bearer token.
	Token string
}

func (c Config) check() error {
	switch {
	case c.URL == "" || !strings.HasPrefix(c.URL, "http"):
		return errors.New("-url must be an http(s) URL")
	case c.Connections < 1:
		return errors.New("-c must be at least 1")
	case c.Rate < 0:
		return errors.New("-rate must not be negative")
	case c.Requests < 0 || c.Warmup < 0:
		return errors.New("-n and -warmup must not be negative")
	case c.Requests == 0 && c.Duration <= 0:
		return errors.New("give -n (requests) or -d (duration)")
	}
	return nil
}

// Result is what Run measured. Latencies are in milliseconds; under an
// offered Rate, each runs from the time its request was due, so a request
// that waited for a connection or behind a slow answer is charged for it.
type Result struct {
	URL         string  `json:"url"`
	OfferedRate float64 `json:"offered_rate,omitempty"`
	Connections int     `json:"connections"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	Non2xx      int     `json:"non_2xx"`
	Seconds     float64 `json:"seconds"`
	RPS         float64 `json:"requests_per_second"`
	Latency     Latency `json:"latency_ms"`
	FirstError  string  `json:"first_error,omitempty"`
}

// Latency summarizes the latencies of the requests that got an answer.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Run sends the load and measures it.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodGet
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.Connections,
		MaxIdleConnsPerHost: cfg.Connections,
		MaxConnsPerHost:     cfg.Connections,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout}

	if cfg.Warmup > 0 {
		closedLoop(ctx, client, cfg, cfg.Warmup, time.Time{})
	}
	var deadline time.Time
	if cfg.Requests == 0 {
		deadline = time.Now().Add(cfg.Duration)
	}
	start := time.Now()
	var tallies []*tally
	if cfg.Rate > 0 {
		tallies = openLoop(ctx, client, cfg, cfg.Requests, deadline)
	} else {
		tallies = closedLoop(ctx, client, cfg, cfg.Requests, deadline)
	}
	elapsed := time.Since(start)

	res := Result{URL: cfg.URL, OfferedRate: cfg.Rate, Connections: cfg.Connections, Seconds: elapsed.Seconds()}
	var latencies []time.Duration
	for _, w := range tallies {
		latencies = append(latencies, w.latencies...)
		res.Errors += w.errors
		res.Non2xx += w.non2xx
		if res.FirstError == "" {
			res.FirstError = w.firstError
		}
	}
	res.Requests = len(latencies) + res.Errors
	if elapsed > 0 {
		res.RPS = float64(res.Requests) / elapsed.Seconds()
	}
	res.Latency = summarize(latencies)
	return res, nil
}

// tally is what one connection's loop (closed) or the whole load (open)
// saw.
type tally struct {
	mu         sync.Mutex
	latencies  []time.Duration
	errors     int
	non2xx     int
	firstError string
}

// closedLoop runs cfg.Connections loops, each sending a request when the
// last one was answered, until n requests were sent in all (n > 0) or
// until deadline.
func closedLoop(ctx context.Context, client *http.Client, cfg Config, n int, deadline time.Time) []*tally {
	var sent atomic.Int64
	more := func() bool {
		if n > 0 {
			return sent.Add(1) <= int64(n)
		}
		return time.Now().Before(deadline)
	}
	tallies := make([]*tally, cfg.Connections)
	var wg sync.WaitGroup
	for i := range tallies {
		t := &tally{}
		if n > 0 {
			t.latencies = make([]time.Duration, 0, n/cfg.Connections+1)
		}
		tallies[i] = t
		wg.Go(func() {
			for ctx.Err() == nil && more() {
				t.do(ctx, client, cfg, time.Now())
			}
		})
	}
	wg.Wait()
	return tallies
}

// openLoop sends request i at start + i/cfg.Rate, each on its own
// goroutine, until n requests were sent (n > 0) or deadline; the
// transport holds a request that finds all cfg.Connections connections
// busy until one is free. It returns once every request was answered.
func openLoop(ctx context.Context, client *http.Client, cfg Config, n int, deadline time.Time) []*tally {
	t := &tally{}
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; n == 0 || i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		if n == 0 && !due.Before(deadline) {
			break
		}
		select {
		case <-time.After(time.Until(due)):
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() { t.do(ctx, client, cfg, due) })
	}
	wg.Wait()
	return []*tally{t}
}

// do sends one request and records its latency, counted from due.
func (t *tally) do(ctx context.Context, client *http.Client, cfg Config, due time.Time) {
	req, err := http.NewRequestWithContext(ctx, cfg.Method, cfg.URL, nil)
	if err != nil {
		t.fail(err)
		return
	}
	if cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.Token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.fail(err)
		return
	}
	// Read the whole body so that the connection is reused, and count the
	// time it takes.
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		t.fail(err)
		return
	}
	took := time.Since(due)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.latencies = append(t.latencies, took)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		t.non2xx++
		if t.firstError == "" {
			t.firstError = fmt.Sprintf("%s answered %d", cfg.URL, res.StatusCode)
		}
	}
}

func (t *tally) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errors++
	if t.firstError == "" {
		t.firstError = err.Error()
	}
}

// summarize computes the percentiles by the nearest-rank method.
func summarize(latencies []time.Duration) Latency {
	if len(latencies) == 0 {
		return Latency{}
	}
	slices.Sort(latencies)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p/100*float64(len(latencies)))) - 1
		return latencies[max(i, 0)]
	}
	var sum time.Duration
	for _, l := range latencies {
		sum += l
	}
	ms := func(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }
	return Latency{
		P50: ms(rank(50)), P90: ms(rank(90)), P99: ms(rank(99)),
		Max: ms(latencies[len(latencies)-1]), Mean: ms(sum / time.Duration(len(latencies))),
	}
}
