package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunSendsExactlyNRequestsOverCConnections(t *testing.T) {
	var served atomic.Int64
	conns := map[string]bool{}
	connCh := make(chan string, 1000)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			connCh <- c.RemoteAddr().String()
		}
	}
	srv.Start()
	defer srv.Close()

	res, err := Run(context.Background(), Config{URL: srv.URL, Connections: 4, Requests: 500, Warmup: 8, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	close(connCh)
	for c := range connCh {
		conns[c] = true
	}
	if res.Requests != 500 || served.Load() != 508 || res.Errors != 0 || res.Non2xx != 0 {
		t.Fatalf("result %+v, server saw %d requests; want 500 counted of 508 served", res, served.Load())
	}
	if len(conns) > 4 {
		t.Fatalf("%d connections, want at most 4", len(conns))
	}
	if res.RPS <= 0 || res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
		t.Fatalf("latency %+v, rps %f: want 0 < p50 <= p99 <= max", res.Latency, res.RPS)
	}
}

func TestRunCountsFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: srv.URL, Connections: 2, Requests: 10, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Non2xx != 10 || res.FirstError == "" {
		t.Fatalf("result %+v, want 10 non-2xx answers and a first error", res)
	}
	srv.Close()
	res, _ = Run(context.Background(), Config{URL: srv.URL, Connections: 2, Requests: 10, Timeout: time.Second})
	if res.Errors != 10 {
		t.Fatalf("result %+v against a closed server, want 10 errors", res)
	}
}

func TestSummarizeUsesNearestRank(t *testing.T) {
	var ls []time.Duration
	for i := 100; i >= 1; i-- {
		ls = append(ls, time.Duration(i)*time.Millisecond)
	}
	got := summarize(ls)
	if got.P50 != 50 || got.P90 != 90 || got.P99 != 99 || got.Max != 100 || got.Mean != 50.5 {
		t.Fatalf("summarize = %+v", got)
	}
}

func TestOpenLoopChargesTheQueueToTheLatency(t *testing.T) {
	// One connection to a server that takes 20 ms per request, offered 200
	// requests/s: request i is due at 5i ms and answered at about 20(i+1)
	// ms. A closed loop would see 20 ms each; the open load sees the queue.
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		served.Add(1)
	}))
	defer srv.Close()

	res, err := Run(context.Background(), Config{URL: srv.URL, Rate: 200, Connections: 1, Requests: 20, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 20 || served.Load() != 20 || res.Errors != 0 || res.OfferedRate != 200 {
		t.Fatalf("result %+v, server saw %d requests; want 20 sent at 200/s", res, served.Load())
	}
	// The last one is due at 95 ms and answered at 400 ms at the soonest.
	if res.Latency.Max < 300 {
		t.Fatalf("max latency %.1f ms, want at least 300 ms: the wait for the one connection is not counted", res.Latency.Max)
	}
}

func TestRunSendsTheTokenWithEveryRequest(t *testing.T) {
	var withToken, without atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer the-token" {
			withToken.Add(1)
			return
		}
		without.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: srv.URL, Connections: 2, Requests: 20, Warmup: 2, Timeout: 5 * time.Second, Token: "the-token"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Non2xx != 0 || withToken.Load() != 22 || without.Load() != 0 {
		t.Fatalf("result %+v; %d requests with the token, %d without: want all 22 with it", res, withToken.Load(), without.Load())
	}
}
