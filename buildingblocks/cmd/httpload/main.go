// Command httpload is a small HTTP load generator for benchmarks: it sends a
// fixed number of requests (-n) or sends for a fixed time (-d) over at most
// N keep-alive connections (-c), and prints one JSON object with the
// throughput and the latency percentiles.
//
// With -rate the load is open: requests go out at that rate, each at its
// time whatever the earlier ones are doing, and each latency runs from
// when the request was due, so a server that falls behind is charged for
// the queue it builds (no coordinated omission). Take latency figures this
// way. Without -rate the loop is closed: each connection sends its next
// request when the last was answered; that measures the most a server
// answers, and its latencies leave out the wait of requests never sent.
//
//	httpload -url http://127.0.0.1:8081/api/catalog/items/1 -rate 2000 -c 64 -d 10s
//	httpload -url http://127.0.0.1:8081/api/catalog/items/1 -c 32 -n 20000
//	{"url":"…","connections":32,"requests":20000,"errors":0,"non_2xx":0,
//	 "seconds":1.93,"requests_per_second":10362.7,"latency_ms":{"p50":2.8,"p90":4.9,"p99":9.6,"max":21.3,"mean":3.1}}
//
// HTTPLOAD_TOKEN, when set, is sent with every request as a bearer token
// (from the environment, so that it is in no process list).
//
// Run it as its own process, so that the load it makes and the server it
// measures do not share a Go runtime. A warm-up (-warmup requests, not
// counted) opens the connections first. The exit status is 1 when any
// request failed or answered other than 2xx, 2 for bad flags.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	var cfg Config
	flag.StringVar(&cfg.URL, "url", "", "the URL to request (required)")
	flag.StringVar(&cfg.Method, "method", "GET", "the HTTP method")
	flag.Float64Var(&cfg.Rate, "rate", 0, "offered requests per second, an open load (0: a closed loop over -c connections)")
	flag.IntVar(&cfg.Connections, "c", 16, "connections at most, each with one request in flight")
	flag.IntVar(&cfg.Requests, "n", 0, "requests to send in all (0: send for -d instead)")
	flag.DurationVar(&cfg.Duration, "d", 0, "how long to send when -n is 0")
	flag.IntVar(&cfg.Warmup, "warmup", 0, "requests sent first and not counted")
	flag.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "timeout of one request")
	flag.Parse()
	// From the environment, so that the token is in no process list.
	cfg.Token = os.Getenv("HTTPLOAD_TOKEN")
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		flag.Usage()
		os.Exit(2)
	}

	res, err := Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		os.Exit(1)
	}
	if res.Errors > 0 || res.Non2xx > 0 {
		fmt.Fprintf(os.Stderr, "httpload: %d errors, %d non-2xx answers; first error: %s\n", res.Errors, res.Non2xx, res.FirstError)
		os.Exit(1)
	}
}
