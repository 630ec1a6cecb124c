package host

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestHTTPServerSpansAreNamedByRouteAndContinueTheCallersTrace(t *testing.T) {
	// testkit.RecordSpans, which this internal test cannot import (testkit
	// imports host).
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	r := chi.NewRouter()
	r.Use(nameByRoute)
	var inHandler trace.SpanContext
	r.Route("/api/catalog", func(r chi.Router) {
		r.Put("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
			inHandler = trace.SpanContextFromContext(r.Context())
			w.WriteHeader(http.StatusNoContent)
		})
	})
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	srv := httptest.NewServer(traced(r, tp))
	defer srv.Close()

	const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/catalog/items/7", nil)
	req.Header.Set("traceparent", caller)
	for _, req := range []*http.Request{req, mustGet(t, srv.URL+"/healthz"), mustGet(t, srv.URL+"/nowhere")} {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2 (none for /healthz): %v", len(spans), names(spans))
	}
	put := spans[0]
	if put.Name() != "PUT /api/catalog/items/{id}" || put.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q (%v), want the server span PUT /api/catalog/items/{id}", put.Name(), put.SpanKind())
	}
	if put.Parent().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || put.Parent().SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("parent %v, want the caller's traceparent", put.Parent())
	}
	if inHandler.SpanID() != put.SpanContext().SpanID() {
		t.Error("the handler's context does not carry the server span")
	}
	if spans[1].Name() != "GET" {
		t.Errorf("a request no route matched is named %q, want GET", spans[1].Name())
	}
}

func mustGet(t *testing.T, url string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}
