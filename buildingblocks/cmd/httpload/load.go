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
	URL         string
	Method      string
	Connections int
	// Requests, when positive, is the number of requests to send; else the
	// load lasts Duration.
	Requests int
	Duration time.Duration
	// Warmup requests are sent first, over all the connections, and not
	// counted.
	Warmup  int
	Timeout time.Duration
}

func (c Config) check() error {
	switch {
	case c.URL == "" || !strings.HasPrefix(c.URL, "http"):
		return errors.New("-url must be an http(s) URL")
	case c.Connections < 1:
		return errors.New("-c must be at least 1")
	case c.Requests < 0 || c.Warmup < 0:
		return errors.New("-n and -warmup must not be negative")
	case c.Requests == 0 && c.Duration <= 0:
		return errors.New("give -n (requests) or -d (duration)")
	}
	return nil
}

// Result is what Run measured. Latencies are in milliseconds.
type Result struct {
	URL         string  `json:"url"`
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
		load(ctx, client, cfg, cfg.Warmup, time.Time{})
	}
	var deadline time.Time
	if cfg.Requests == 0 {
		deadline = time.Now().Add(cfg.Duration)
	}
	start := time.Now()
	workers := load(ctx, client, cfg, cfg.Requests, deadline)
	elapsed := time.Since(start)

	res := Result{URL: cfg.URL, Connections: cfg.Connections, Seconds: elapsed.Seconds()}
	var latencies []time.Duration
	for _, w := range workers {
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

// worker is one connection's loop and what it saw.
type worker struct {
	latencies  []time.Duration
	errors     int
	non2xx     int
	firstError string
}

// load runs cfg.Connections workers until n requests were sent in all (n >
// 0) or until deadline.
func load(ctx context.Context, client *http.Client, cfg Config, n int, deadline time.Time) []*worker {
	var sent atomic.Int64
	more := func() bool {
		if n > 0 {
			return sent.Add(1) <= int64(n)
		}
		return time.Now().Before(deadline)
	}
	workers := make([]*worker, cfg.Connections)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{}
		if n > 0 {
			w.latencies = make([]time.Duration, 0, n/cfg.Connections+1)
		}
		workers[i] = w
		wg.Go(func() {
			for ctx.Err() == nil && more() {
				w.do(ctx, client, cfg)
			}
		})
	}
	wg.Wait()
	return workers
}

func (w *worker) do(ctx context.Context, client *http.Client, cfg Config) {
	req, err := http.NewRequestWithContext(ctx, cfg.Method, cfg.URL, nil)
	if err != nil {
		w.fail(err)
		return
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		w.fail(err)
		return
	}
	// Read the whole body so that the connection is reused, and count the
	// time it takes.
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		w.fail(err)
		return
	}
	w.latencies = append(w.latencies, time.Since(start))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		w.non2xx++
		if w.firstError == "" {
			w.firstError = fmt.Sprintf("%s answered %d", cfg.URL, res.StatusCode)
		}
	}
}

func (w *worker) fail(err error) {
	w.errors++
	if w.firstError == "" {
		w.firstError = err.Error()
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
