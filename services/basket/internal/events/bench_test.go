package events_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/eshop-go/eshop-go/services/basket/internal/events"
	"github.com/eshop-go/eshop-go/services/basket/internal/postgres"
	"github.com/jackc/pgx/v5"
)

// Seed sizes of BenchmarkPriceChange: the changed product sits on two lines
// of each of 50,000 baskets (100,000 lines), among 8 lines of other
// products per basket, so the UPDATE has to find its lines through the
// product_id index in a 500,000-line table.
const (
	benchBaskets       = 50_000
	benchLinesOfTarget = 2
	benchOtherLines    = 8
	benchProduct       = 1
)

// countingStore is the store, counting the lines the last price change
// moved.
type countingStore struct {
	*postgres.Store
	moved int64
}

func (s *countingStore) FollowPrice(ctx context.Context, tx pgx.Tx, f basket.PriceFollow) (int64, error) {
	n, err := s.Store.FollowPrice(ctx, tx, f)
	s.moved = n
	return n, err
}

// BenchmarkPriceChange measures one ProductPriceChanged, handled as the
// subscription handles it (decoded, inbox transaction, the handler and its
// set-based UPDATE), updating 100,000 basket lines spread over 50,000
// baskets. Each iteration is one event that moves every one of those
// lines.
func BenchmarkPriceChange(b *testing.B) {
	pool := testkit.NewPool(b, postgres.Migrations)
	ctx := context.Background()
	seedStart := time.Now()
	for _, sql := range []string{
		`INSERT INTO baskets (buyer_id) SELECT 'buyer-' || g FROM generate_series(1, 50000) g`,
		// Each basket's ten lines together, as the PUT that wrote them
		// would store them: positions 0 and 1 hold the changed product,
		// 2 to 9 others among 999 (some at the same price).
		`INSERT INTO basket_lines (id, buyer_id, position, product_id, product_name, unit_price, quantity, picture_url)
		 SELECT gen_random_uuid(), 'buyer-' || g, p,
		        CASE WHEN p < 2 THEN 1 ELSE 2 + (g * 8 + p) % 999 END, 'Product ' || p, 10.00, 1, 'p.png'
		 FROM generate_series(1, 50000) g, generate_series(0, 9) p
		 ORDER BY g, p`,
		`VACUUM ANALYZE basket_lines`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d baskets, %d lines in %s", benchBaskets, benchBaskets*(benchLinesOfTarget+benchOtherLines), time.Since(seedStart).Round(time.Millisecond))

	store := &countingStore{Store: postgres.NewStore(pool, events.CheckoutAcceptedEvent)}
	handlers := &events.Handlers{Store: store, Logger: slog.New(slog.DiscardHandler)}
	var handle eventbus.Handler
	for _, r := range handlers.Routes(pool) {
		if r.EventName == "ProductPriceChangedIntegrationEvent" {
			handle = r.Handler
		}
	}
	prices := []money.Money{money.MustParse("10.00"), money.MustParse("11.00")}

	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		m, err := eventbus.Encode(events.ProductPriceChangedIntegrationEvent{
			IntegrationEvent: eventbus.NewIntegrationEvent(),
			ProductID:        benchProduct,
			OldPrice:         prices[i%2],
			NewPrice:         prices[(i+1)%2],
			PriceVersion:     int64(i + 1),
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := handle(ctx, m); err != nil {
			b.Fatal(err)
		}
		if want := int64(benchBaskets * benchLinesOfTarget); store.moved != want {
			b.Fatalf("event %d updated %d lines, want %d", i, store.moved, want)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/event")
	b.ReportMetric(float64(store.moved), "lines/event")
	b.ReportMetric(float64(store.moved)*float64(b.N)/elapsed.Seconds(), "lines/s")
}
