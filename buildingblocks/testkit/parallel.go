package testkit

import (
	"sync"
	"sync/atomic"
)

// Parallel calls job with each i from 0 to n-1, in that order, from
// workers goroutines that each take the next i once done with one. It
// returns when all have stopped, with the first error: a goroutine stops
// at its job's first error, the others go on.
func Parallel(n, workers int, job func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := job(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
