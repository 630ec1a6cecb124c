package host

import (
	"context"
	"sync"
)

// steps makes one start out of several steps (create the database, migrate,
// seed, subscribe each handler) run in order. A step that succeeded is not
// run again: when [App.Run] retries a start that failed, it goes on from the step
// that failed, so a handler is never subscribed twice.
func steps(steps ...func(context.Context) error) func(context.Context) error {
	var mu sync.Mutex
	done := 0
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		for ; done < len(steps); done++ {
			if err := steps[done](ctx); err != nil {
				return err
			}
		}
		return nil
	}
}
