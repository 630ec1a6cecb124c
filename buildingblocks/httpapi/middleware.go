package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

// RequestIDHeader is the header that carries the request id both ways.
const RequestIDHeader = "X-Request-Id"

// requestInfo is what RequestID puts in a request's context.
type requestInfo struct {
	id     string
	logger *slog.Logger
}

type requestInfoKey struct{}

// LoggerFrom returns the request's logger, which tags every line with the
// request id, or slog.Default outside a request. The tagged logger is made
// only when asked for (mostly on errors), not for every request.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return ri.logger.With("request_id", ri.id)
	}
	return slog.Default()
}

// NewRouter returns a chi router with the middleware every service uses:
// request id, access log, panic recovery, a 1 MiB body limit, and problem
// details for unknown routes and methods.
func NewRouter(logger *slog.Logger) chi.Router {
	r := chi.NewRouter()
	r.Use(RequestID(logger), AccessLog, Recover, LimitBody)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		Fail(w, http.StatusNotFound, "no resource at "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		Fail(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	})
	return r
}

// A request id from a client is kept only when it is short and plain, so
// that it can go into logs and headers as it is.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// RequestID gives each request an id: the client's X-Request-Id when it sent
// a usable one, else a new UUID. The id is echoed in the response, carried
// in the context as the correlation id of the events the request causes, and
// set on the request's logger.
func RequestID(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(RequestIDHeader)
			if !validRequestID.MatchString(id) {
				id = uuid.NewString()
			}
			w.Header().Set(RequestIDHeader, id)
			ctx := eventbus.WithCorrelationID(r.Context(), id)
			ctx = context.WithValue(ctx, requestInfoKey{}, &requestInfo{id: id, logger: logger})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// AccessLog logs one line per request: method, route, status, duration.
// It never logs bodies or query strings, which may hold card data, nor
// headers: Authorization carries bearer tokens.
func AccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.URL.Path
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		level := slog.LevelInfo
		// A 503 from /readyz says "not ready yet" (at every start), which
		// the health check logs itself when it fails: no server error.
		if sw.status >= 500 && (route != "/readyz" || sw.status != http.StatusServiceUnavailable) {
			level = slog.LevelError
		}
		logger, id := slog.Default(), ""
		if ri, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
			logger, id = ri.logger, ri.id
		}
		if !logger.Enabled(r.Context(), level) {
			return
		}
		// A record without a caller's PC: the line is always this one, and
		// finding it costs more than the rest of the log call.
		rec := slog.NewRecord(time.Now(), level, "http request", 0)
		rec.AddAttrs(slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", sw.status), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
		_ = logger.Handler().Handle(r.Context(), rec)
	})
}

// Recover turns a panic in a handler into a logged 500 problem.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				LoggerFrom(r.Context()).ErrorContext(r.Context(), "panic in handler", "panic", v, "stack", string(debug.Stack()))
				Fail(w, http.StatusInternalServerError, "the request could not be completed; it was logged with its request id")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// LimitBody answers 413 to a request that declares a body over MaxBodyBytes,
// and caps the bodies that do not declare their length (DecodeJSON then
// answers 413 when it reads past the cap).
func LimitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			Fail(w, http.StatusRequestEntityTooLarge, "the body is larger than 1048576 bytes")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
