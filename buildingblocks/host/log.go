package host

import (
	"io"
	"log/slog"
)

// NewLogger returns the JSON logger every service writes to w (stderr), at
// level, with a "service" attribute on every line.
func NewLogger(w io.Writer, level slog.Level, service string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})).With("service", service)
}
