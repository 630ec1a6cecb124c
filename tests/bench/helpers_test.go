package bench

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// quiet is the logger of the pipelines' parts: warnings only, nowhere
// unless TEST_LOG is set.
var quiet = slog.New(slog.NewTextHandler(testkit.ShowLogsIfAsked(io.Discard), &slog.HandlerOptions{Level: slog.LevelWarn}))

// runUntilCleanup runs run in a goroutine until the benchmark ends, then
// cancels its context and waits for it to return.
func runUntilCleanup(b *testing.B, run func(context.Context) error) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := run(ctx); err != nil && ctx.Err() == nil {
			b.Errorf("run: %v", err)
		}
	}()
	b.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(testkit.Patience):
			b.Errorf("did not stop after its context ended")
		}
	})
}
