package e2e

import (
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver of the test's own: the
// services export their spans to it (OTEL_EXPORTER_OTLP_ENDPOINT), and it
// keeps them, decoded with OpenTelemetry's protobuf types, for the test to
// read. It needs no collector and no backend.
type otlpReceiver struct {
	srv *httptest.Server

	mu    sync.Mutex
	spans []span
}

// span is one received span, as the tests read it.
type span struct {
	Service             string
	Name                string
	Kind                string
	TraceID, ID, Parent string
	Links               []string // the trace and span ids "trace/span" this span links to
	Attrs               map[string]string
	Events              []string
	Error               bool
	Start, End          time.Time
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.export))
	t.Cleanup(r.srv.Close)
	return r
}

// env points a service at the receiver and has it export without delay.
func (r *otlpReceiver) env() []string {
	return []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + r.srv.URL, "OTEL_BSP_SCHEDULE_DELAY=100"}
}

func (r *otlpReceiver) export(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.Error(w, "only POST /v1/traces", http.StatusNotFound)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var export coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &export); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var got []span
	for _, rs := range export.GetResourceSpans() {
		service := attrString(rs.GetResource().GetAttributes(), "service.name")
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				got = append(got, decodeSpan(service, s))
			}
		}
	}
	r.mu.Lock()
	r.spans = append(r.spans, got...)
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func decodeSpan(service string, s *tracepb.Span) span {
	sp := span{
		Service: service, Name: s.GetName(), Kind: strings.TrimPrefix(s.GetKind().String(), "SPAN_KIND_"),
		TraceID: hex.EncodeToString(s.GetTraceId()), ID: hex.EncodeToString(s.GetSpanId()),
		Parent: hex.EncodeToString(s.GetParentSpanId()), Attrs: map[string]string{},
		Error: s.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR,
		Start: time.Unix(0, int64(s.GetStartTimeUnixNano())), End: time.Unix(0, int64(s.GetEndTimeUnixNano())),
	}
	for _, kv := range s.GetAttributes() {
		sp.Attrs[kv.GetKey()] = anyString(kv.GetValue())
	}
	for _, l := range s.GetLinks() {
		sp.Links = append(sp.Links, hex.EncodeToString(l.GetTraceId())+"/"+hex.EncodeToString(l.GetSpanId()))
	}
	for _, e := range s.GetEvents() {
		sp.Events = append(sp.Events, e.GetName())
	}
	return sp
}

func attrString(attrs []*commonpb.KeyValue, key string) string {
	for _, kv := range attrs {
		if kv.GetKey() == key {
			return anyString(kv.GetValue())
		}
	}
	return ""
}

func anyString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	}
	return v.String()
}

// all returns the spans received so far.
func (r *otlpReceiver) all() []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.spans)
}

// find returns the received spans that match.
func (r *otlpReceiver) find(match func(span) bool) []span {
	var out []span
	for _, s := range r.all() {
		if match(s) {
			out = append(out, s)
		}
	}
	return out
}

// waitSpans waits until at least n received spans match, and returns them.
func (r *otlpReceiver) waitSpans(t *testing.T, what string, n int, match func(span) bool) []span {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if got := r.find(match); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %d span(s): %s; received:\n%s", n, what, tree(r.all()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// trace returns the spans of one trace, in the order they started.
func (r *otlpReceiver) trace(id string) []span {
	got := r.find(func(s span) bool { return s.TraceID == id })
	slices.SortFunc(got, func(a, b span) int { return a.Start.Compare(b.Start) })
	return got
}

// waitWhole waits until the trace id has spans of each of services and
// one root (every other span's parent has arrived), and returns its
// spans: each process exports its own spans in batches of its own, so a
// trace arrives in pieces, in any order. A hop that lost its context
// leaves a second root, and the wait fails.
func (r *otlpReceiver) waitWhole(t *testing.T, what, id string, services ...string) []span {
	t.Helper()
	r.waitSpans(t, what+", whole", 1, func(s span) bool {
		spans := r.trace(id)
		return s.TraceID == id && len(rootsOf(spans)) == 1 && !slices.ContainsFunc(services, func(service string) bool {
			return !slices.Contains(servicesOf(spans), service)
		})
	})
	return r.trace(id)
}

// named is a matcher: the span of service with that name.
func named(service, name string) func(span) bool {
	return func(s span) bool { return s.Service == service && s.Name == name }
}

// tree draws spans as the tree their parent ids make, children in the
// order they started, each line "service: name [kind] key attributes":
// what the tests print with -v and docs/architecture.md draws from.
func tree(spans []span) string {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b span) int { return a.Start.Compare(b.Start) })
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.ID] = true
	}
	var b strings.Builder
	var draw func(parent string, depth int)
	draw = func(parent string, depth int) {
		for _, s := range spans {
			isRoot := depth == 0 && (s.Parent == "" || !ids[s.Parent])
			if (depth == 0 && !isRoot) || (depth > 0 && s.Parent != parent) {
				continue
			}
			fmt.Fprintf(&b, "%s%s: %s [%s]%s\n", strings.Repeat("  ", depth), s.Service, s.Name, strings.ToLower(s.Kind), details(s))
			draw(s.ID, depth+1)
		}
	}
	draw("", 0)
	return b.String()
}

// details are the attributes and marks of a span worth a line in a tree.
func details(s span) string {
	var parts []string
	for _, k := range []string{"http.route", "http.response.status_code", "messaging.destination.name",
		"eshop.messaging.attempt", "eshop.messaging.outcome", "db.query.text"} {
		if v, ok := s.Attrs[k]; ok {
			if k == "db.query.text" {
				v = strings.Join(strings.Fields(v), " ")
				if len(v) > 60 {
					v = v[:60] + "…"
				}
			}
			parts = append(parts, k+"="+v)
		}
	}
	if s.Parent != "" {
		parts = append(parts, "trace="+s.TraceID[:8]+" span="+s.ID[:8]+" parent="+s.Parent[:8])
	} else {
		parts = append(parts, "trace="+s.TraceID[:8]+" span="+s.ID[:8]+" (root)")
	}
	for _, l := range s.Links {
		parts = append(parts, "link="+l[:8]+"…/"+l[33:41])
	}
	if len(s.Events) > 0 {
		parts = append(parts, "events="+strings.Join(s.Events, ","))
	}
	if s.Error {
		parts = append(parts, "ERROR")
	}
	return " " + strings.Join(parts, " ")
}
