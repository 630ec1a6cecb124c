package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
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

// BenchmarkPriceChange measures one ProductPriceChanged, handled as the
// subscription handles it (inbox transaction + set-based UPDATE), updating
// 100,000 basket lines spread over 50,000 baskets. Each iteration is one
// event that moves every one of those lines.
func BenchmarkPriceChange(b *testing.B) {
	_, pool := newStore(b)
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

	var updated int64
	handle := inbox.Handler(pool, events.PriceChangeHandlerName, events.FollowPriceChange(
		func(ctx context.Context, tx pgx.Tx, c basket.PriceChange) (int64, error) {
			n, err := postgres.ApplyPriceChange(ctx, tx, c)
			updated = n
			return n, err
		}))
	prices := []money.Money{money.MustParse("10.00"), money.MustParse("11.00")}

	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		e := events.ProductPriceChanged{
			IntegrationEvent: eventbus.NewIntegrationEvent(),
			ProductID:        benchProduct,
			OldPrice:         prices[i%2],
			NewPrice:         prices[(i+1)%2],
			PriceVersion:     int64(i + 1),
		}
		if err := handle(ctx, e); err != nil {
			b.Fatal(err)
		}
		if want := int64(benchBaskets * benchLinesOfTarget); updated != want {
			b.Fatalf("event %d updated %d lines, want %d", i, updated, want)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/event")
	b.ReportMetric(float64(updated), "lines/event")
	b.ReportMetric(float64(updated)*float64(b.N)/elapsed.Seconds(), "lines/s")
}
