package tracing_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
	"go.opentelemetry.io/otel"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// received is what an OTLP/HTTP receiver got: service.name and span name
// of each span.
type received struct {
	mu    sync.Mutex
	spans [][2]string
}

func (r *received) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var export coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &export); err != nil {
			t.Errorf("receiver: %v", err)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, rs := range export.GetResourceSpans() {
			service := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					r.spans = append(r.spans, [2]string{service, s.GetName()})
				}
			}
		}
	}
}

// Setup exports to OTEL_EXPORTER_OTLP_ENDPOINT over OTLP/HTTP, as the
// service unless OTEL_SERVICE_NAME says otherwise, and its shutdown
// flushes what was not exported yet.
func TestSetupExportsWhereTheEnvironmentSaysAsTheService(t *testing.T) {
	for _, tc := range []struct{ env, want string }{{"", "catalog"}, {"catalog-eu", "catalog-eu"}} {
		var got received
		srv := httptest.NewServer(got.handler(t))
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
		t.Setenv("OTEL_SERVICE_NAME", tc.env)
		t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "60000") // only the shutdown exports
		shutdown, err := tracing.Setup(context.Background(), "catalog", slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		_, span := otel.Tracer("test").Start(context.Background(), "PUT /api/catalog/items/{id}")
		span.End()
		if err := shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		if len(got.spans) != 1 || got.spans[0] != [2]string{tc.want, "PUT /api/catalog/items/{id}"} {
			t.Errorf("OTEL_SERVICE_NAME=%q: received %v, want one span of %s", tc.env, got.spans, tc.want)
		}
	}
}

// Without an endpoint nothing is exported, but spans are made: their
// context still travels.
func TestWithoutAnEndpointSpansAreStillMade(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if tracing.Exporting() {
		t.Fatal("Exporting without an endpoint")
	}
	shutdown, err := tracing.Setup(context.Background(), "basket", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	ctx, span := otel.Tracer("test").Start(context.Background(), "work")
	defer span.End()
	if h := tracing.Headers(ctx); h[tracing.TraceparentHeader] == "" {
		t.Error("no trace context to propagate without an endpoint")
	}
}
