package testkit

import (
	"context"
	"testing"
	"time"
)

// RunUntilCleanup runs run (a relay's Run, say) in a goroutine until the
// test ends, then cancels its context and waits up to Patience for it to
// return. An error it returns before the end fails the test.
func RunUntilCleanup(t testing.TB, run func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := run(ctx); err != nil && ctx.Err() == nil {
			t.Errorf("run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(Patience):
			t.Errorf("run did not return after its context ended")
		}
	})
}
