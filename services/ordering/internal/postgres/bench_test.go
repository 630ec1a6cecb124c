package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// BenchmarkCheckout measures the checkout handler on its real path minus
// the broker: inbox record, buyer, order, 3 lines and 2 outbox events in
// one transaction. One run: 400 checkouts from 8 goroutines.
func BenchmarkCheckout(b *testing.B) {
	const checkouts, workers = 400, 8
	store, pool := newStore(b)
	h := &events.Handlers{Orders: store, Logger: slog.New(slog.DiscardHandler)}
	handle := inbox.Handler(pool, "ordering.create_order", h.CreateOrder)
	event := func(i int) events.UserCheckoutAcceptedIntegrationEvent {
		e := events.UserCheckoutAcceptedIntegrationEvent{
			IntegrationEvent: eventbus.NewIntegrationEvent(),
			UserID:           fmt.Sprintf("buyer-%d", i%50), UserName: "Alice", City: "Redmond", Street: "1 Main St",
			State: "WA", Country: "US", ZipCode: "98052", CardNumber: "4012888888881881", CardHolderName: "Alice",
			CardExpiration: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), CardSecurityNumber: "123", CardTypeID: 2,
			RequestID: uuid.New(),
		}
		for p := 1; p <= 3; p++ {
			e.Basket.Items = append(e.Basket.Items, events.BasketItem{ProductID: p, ProductName: "P", UnitPrice: money.MustParse("9.99"), Quantity: p})
		}
		return e
	}
	var elapsed time.Duration
	for b.Loop() {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for i := int(next.Add(1)); i <= checkouts; i = int(next.Add(1)) {
					if err := handle(context.Background(), event(i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(checkouts*b.N)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(0, "ns/op")
}

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
