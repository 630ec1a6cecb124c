package eventbus

import (
	"context"
	"sync/atomic"
)

type skipsKey struct{}

// CountSkips returns a context in which [Skipped] counts on the returned
// counter: a transport sets it on a delivery to learn how many of its
// handlers dropped it as already handled (the metric outcome "duplicate").
func CountSkips(ctx context.Context) (context.Context, *atomic.Int32) {
	n := new(atomic.Int32)
	return context.WithValue(ctx, skipsKey{}, n), n
}

// Skipped tells the transport that the handler running in ctx dropped its
// event as already handled (the inbox calls it). Outside [CountSkips] it
// does nothing.
func Skipped(ctx context.Context) {
	if n, ok := ctx.Value(skipsKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
}
