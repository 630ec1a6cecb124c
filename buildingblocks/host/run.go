package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Service is what Run runs.
type Service struct {
	// Addr is the HTTP listen address, e.g. ":8081".
	Addr string
	// Handler serves the API, /healthz and /readyz.
	Handler http.Handler
	// Health is told when the start is done and when the stop begins.
	Health *Health
	Logger *slog.Logger
	// Start runs in the background once the HTTP server listens, and is
	// retried with backoff until it returns nil: create and migrate the
	// database, subscribe to events. The service is not ready until then,
	// so a database or broker that is down at start delays readiness
	// instead of crashing the process.
	Start func(ctx context.Context) error
	// Workers run from a successful Start until the stop begins (the outbox
	// relay, periodic jobs). A worker that returns an error before that
	// stops the service.
	Workers []func(ctx context.Context) error
	// Stop runs last, after the HTTP server has finished its requests and
	// the workers have returned: close the event bus (which lets running
	// handlers finish), then the database pool.
	Stop func(ctx context.Context) error
	// ShutdownTimeout bounds the whole stop; default 25s.
	ShutdownTimeout time.Duration
}

// Run serves s until ctx is done or the process gets SIGINT or SIGTERM, then
// stops gracefully: not ready, no new requests, in-flight requests finished,
// workers stopped, Stop called. It returns nil after a clean stop.
func Run(ctx context.Context, s Service) error {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	timeout := s.ShutdownTimeout
	if timeout == 0 {
		timeout = 25 * time.Second
	}
	ctx, stopSignals := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()

	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	failed := make(chan error, 1+len(s.Workers))
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			failed <- fmt.Errorf("http server: %w", err)
		}
	}()
	log.Info("listening", "addr", ln.Addr().String())

	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	var workers sync.WaitGroup
	workers.Add(1)
	go func() {
		defer workers.Done()
		if !startWithRetry(workCtx, s, log) {
			return
		}
		for _, w := range s.Workers {
			workers.Add(1)
			go func() {
				defer workers.Done()
				if err := w(workCtx); err != nil && workCtx.Err() == nil {
					failed <- err
				}
			}()
		}
	}()

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping", "reason", context.Cause(ctx))
	case runErr = <-failed:
		log.Error("stopping after a failure", "error", runErr)
	}

	if s.Health != nil {
		s.Health.setStartup(false, "stopping")
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http server did not finish in time", "error", err)
	}
	stopWork()
	workers.Wait()
	if s.Stop != nil {
		if err := s.Stop(shutdownCtx); err != nil {
			log.Warn("stop", "error", err)
			runErr = errors.Join(runErr, err)
		}
	}
	log.Info("stopped")
	return runErr
}

// startWithRetry runs s.Start until it succeeds (true) or ctx ends (false).
func startWithRetry(ctx context.Context, s Service, log *slog.Logger) bool {
	backoff := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := error(nil)
		if s.Start != nil {
			err = s.Start(ctx)
		}
		if err == nil {
			if s.Health != nil {
				s.Health.setStartup(true, "ok")
			}
			log.Info("started", "attempts", attempt)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if s.Health != nil {
			s.Health.setStartup(false, "retrying: "+err.Error())
		}
		log.Warn("start failed, retrying", "attempt", attempt, "retry_in", backoff.String(), "error", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}
