package host

import (
	"net/http"

	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// traced gives every request but the probes and scrapes a server span
// (otelhttp), a child of the caller's W3C traceparent if it sent one. The
// span is named by the request's method until the router has matched a
// route; then [nameByRoute] renames it. tp makes the spans.
func traced(h http.Handler, tp trace.TracerProvider) http.Handler {
	return otelhttp.NewHandler(h, "http server",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(tracing.Propagator),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// nameByRoute names the request's server span "<method> <route template>"
// (GET /api/catalog/items/{id}) and sets its http.route, once the router
// has matched: chi knows the whole template, subrouters included, only
// after the handler ran. A request no route matched keeps its method as
// the name, as the semantic conventions ask.
func nameByRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		span := trace.SpanFromContext(r.Context())
		if !span.IsRecording() {
			return
		}
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			span.SetName(r.Method + " " + rc.RoutePattern())
			span.SetAttributes(semconv.HTTPRoute(rc.RoutePattern()))
		}
	})
}
