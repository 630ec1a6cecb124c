package host

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/otel"
)

// Run serves the app until ctx is done or the process gets SIGINT or
// SIGTERM, then stops gracefully within Config.ShutdownTimeout: not ready,
// no new requests, in-flight requests finished, workers stopped, the bus
// closed (running handlers finish), the database pool closed. It returns
// nil after a clean stop.
//
// The HTTP server listens first, so /healthz answers at once. The start
// (see [App.OnStart]) runs in the background, retried with backoff until it
// succeeds: a database or broker that is down at start delays readiness
// instead of crashing the process. /readyz answers 503 until then.
func (a *App) Run(ctx context.Context) error {
	log := a.Logger
	ctx, stopSignals := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()

	ln, err := net.Listen("tcp", a.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           traced(a.Router, otel.GetTracerProvider()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	failed := make(chan error, 1+len(a.workers))
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			failed <- fmt.Errorf("http server: %w", err)
		}
	}()
	log.Info("listening", "addr", ln.Addr().String())

	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	var workers sync.WaitGroup
	workers.Go(func() {
		if !a.startWithRetry(workCtx) {
			return
		}
		for _, w := range a.workers {
			workers.Go(func() {
				if err := w(workCtx); err != nil && workCtx.Err() == nil {
					failed <- err
				}
			})
		}
	})

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping", "reason", context.Cause(ctx))
	case runErr = <-failed:
		log.Error("stopping after a failure", "error", runErr)
	}

	a.Health.setStartup(false, "stopping")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cmp.Or(a.Config.ShutdownTimeout, 25*time.Second))
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http server did not finish in time", "error", err)
	}
	stopWork()
	workers.Wait()
	if err := a.Close(shutdownCtx); err != nil {
		log.Warn("stop", "error", err)
		runErr = errors.Join(runErr, err)
	}
	log.Info("stopped")
	return runErr
}

// startWithRetry runs the start until it succeeds (true) or ctx ends
// (false), waiting 250ms after the first failure, doubling up to 5s.
func (a *App) startWithRetry(ctx context.Context) bool {
	start := a.start()
	attempts := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempts++
		return struct{}{}, start(ctx)
	},
		backoff.WithBackOff(&backoff.ExponentialBackOff{InitialInterval: 250 * time.Millisecond, Multiplier: 2, MaxInterval: 5 * time.Second}),
		backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(err error, next time.Duration) {
			a.Health.setStartup(false, "retrying: "+err.Error())
			a.Logger.Warn("start failed, retrying", "attempt", attempts, "retry_in", next.String(), "error", err)
		}),
	)
	if err != nil {
		return false
	}
	a.Health.setStartup(true, "ok")
	a.Logger.Info("started", "attempts", attempts)
	return true
}
