package events_test

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
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
	"github.com/eshop-go/eshop-go/services/ordering/internal/postgres"
	"github.com/google/uuid"
)

// BenchmarkCheckout measures the checkout handler on its real path minus
// the broker: inbox record, buyer, order, 3 lines and 2 outbox events in
// one transaction. One run: 400 checkouts from 8 goroutines.
func BenchmarkCheckout(b *testing.B) {
	const checkouts, workers = 400, 8
	pool := testkit.NewPool(b, postgres.Migrations)
	store := postgres.NewStore(pool, events.StatusEvent)
	h := &events.Handlers{Orders: store, Logger: slog.New(slog.DiscardHandler)}
	handle := inbox.Handler(pool, "ordering.create_order", h.CreateOrder)
	event := func(i int) events.UserCheckoutAcceptedIntegrationEvent {
		e := events.UserCheckoutAcceptedIntegrationEvent{
			IntegrationEvent: eventbus.NewIntegrationEvent(),
			UserID:           fmt.Sprintf("buyer-%d", i%50), UserName: "Alice", City: "Redmond", Street: "1 Main St",
			State: "WA", Country: "US", ZipCode: "98052", PaymentToken: "eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn", CardLast4: "1881",
			CardHolderName: "Alice", CardExpiration: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), CardTypeID: 2,
			RequestID: uuid.New(),
		}
		for p := 1; p <= 3; p++ {
			e.Basket.Items = append(e.Basket.Items, events.BasketItem{ProductID: int64(p), ProductName: "P", UnitPrice: money.MustParse("9.99"), Quantity: p})
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
