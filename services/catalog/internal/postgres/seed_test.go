package postgres_test

import (
	"context"
	"sync"
	"testing"

	bbpostgres "github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/eshop-go/eshop-go/services/catalog/internal/pictures"
	"github.com/eshop-go/eshop-go/services/catalog/internal/postgres"
)

// TestSeedOnceEvenFromReplicasStartingTogether seeds a fresh database from
// several stores at once, as replicas starting together do, then again:
// the sample catalog is there once, each item with its picture.
func TestSeedOnceEvenFromReplicasStartingTogether(t *testing.T) {
	ctx := context.Background()
	dbURL := testkit.NewDatabase(t)
	var wg sync.WaitGroup
	for range 3 {
		pool := testkit.OpenPool(t, dbURL)
		wg.Go(func() {
			if err := bbpostgres.Migrate(ctx, pool, postgres.Migrations); err != nil {
				t.Error(err)
				return
			}
			if err := postgres.NewStore(pool, nil).Seed(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	pool := testkit.OpenPool(t, dbURL)
	store := postgres.NewStore(pool, nil)
	if err := store.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := store.Items(ctx, catalog.ItemFilter{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	types, _ := store.Types(ctx)
	brands, _ := store.Brands(ctx)
	if page.Count != 15 || len(types) != 5 || len(brands) != 4 {
		t.Fatalf("%d items, %d types, %d brands; want the sample catalog once: 15, 5, 4", page.Count, len(types), len(brands))
	}
	for _, it := range page.Items {
		if it.AvailableStock <= 0 || !it.Price.IsPositive() || it.Description == "" {
			t.Fatalf("sample item %+v has no stock, price or description", it)
		}
		if _, ok := pictures.Lookup(it.PictureFileName); !ok {
			t.Fatalf("sample item %d %q: the catalog has no picture %q", it.ID, it.Name, it.PictureFileName)
		}
	}
}

// TestSeedLeavesACatalogWithDataAlone: a catalog whose items were all
// deleted still has its types and brands, and is not seeded again.
func TestSeedLeavesACatalogWithDataAlone(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, postgres.Migrations)
	store := postgres.NewStore(pool, nil)
	if err := store.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM catalog_items`); err != nil {
		t.Fatal(err)
	}
	if err := store.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := store.Items(ctx, catalog.ItemFilter{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Count != 0 {
		t.Fatalf("%d items after seeding a catalog that had types and brands, want 0", page.Count)
	}
}
