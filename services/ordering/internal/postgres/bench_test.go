package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// BenchmarkGracePeriod measures two grace-period workers moving 1000
// submitted orders to AwaitingValidation (batches of 100, FOR UPDATE SKIP
// LOCKED), each with its event in the outbox.
func BenchmarkGracePeriod(b *testing.B) {
	const orders = 1000
	store, pool := newStore(b)
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		for i := range orders {
			if err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
				_, err := store.Create(context.Background(), tx, newOrder(b, uuid.New(), fmt.Sprintf("b%d", i%20)))
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		var moved atomic.Int64
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for {
					n, err := store.AwaitValidation(context.Background(), 0, 100)
					if err != nil {
						b.Error(err)
						return
					}
					if len(n) == 0 {
						return
					}
					moved.Add(int64(len(n)))
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(start)
		if moved.Load() != orders {
			b.Fatalf("moved %d orders, want %d", moved.Load(), orders)
		}
	}
	b.ReportMetric(float64(orders*b.N)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(0, "ns/op")
}
