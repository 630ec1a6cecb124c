package host

import (
	"context"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// NewLogger returns the JSON logger every service writes to w (stderr), at
// level, with a "service" attribute on every line, and "trace_id" and
// "span_id" on every line logged with a context that carries a span (log
// with InfoContext, ErrorContext …).
func NewLogger(w io.Writer, level slog.Level, service string) *slog.Logger {
	return slog.New(traceIDs{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})}).With("service", service)
}

// traceIDs adds the ids of the span in a record's context to the record,
// so that a log line can be found from its trace and the other way round.
type traceIDs struct{ slog.Handler }

func (h traceIDs) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceIDs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceIDs{h.Handler.WithAttrs(attrs)}
}

func (h traceIDs) WithGroup(name string) slog.Handler {
	return traceIDs{h.Handler.WithGroup(name)}
}
