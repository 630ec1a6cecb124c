package host

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestLogLinesCarryTheIDsOfTheSpanInTheirContext(t *testing.T) {
	var out bytes.Buffer
	logger := NewLogger(&out, slog.LevelInfo, "catalog").With("component", "test")
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "work")
	defer span.End()

	logger.InfoContext(ctx, "in a span")
	logger.WithGroup("g").InfoContext(ctx, "in a group", "k", "v")
	logger.InfoContext(context.Background(), "outside")
	logger.Info("no context")

	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), out.String())
	}
	var first, second, third, fourth map[string]any
	for i, v := range []*map[string]any{&first, &second, &third, &fourth} {
		if err := json.Unmarshal(lines[i], v); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
	}
	sc := span.SpanContext()
	if first["trace_id"] != sc.TraceID().String() || first["span_id"] != sc.SpanID().String() || first["service"] != "catalog" {
		t.Errorf("line in a span: %s, want trace_id %s and span_id %s", lines[0], sc.TraceID(), sc.SpanID())
	}
	if g, _ := second["g"].(map[string]any); g == nil || g["trace_id"] != sc.TraceID().String() {
		t.Errorf("line of a logger with a group: %s, want the ids (in its group)", lines[1])
	}
	for i, line := range []map[string]any{third, fourth} {
		if _, ok := line["trace_id"]; ok {
			t.Errorf("line %d has a trace_id without a span: %s", i+3, lines[i+2])
		}
	}
}
