package postgres_test

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/eshop-go/eshop-go/services/catalog/internal/postgres"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The migration that keyed reservations by the order's uuid keyed those
// made before by their number, in SQL; an event without a uuid finds them
// under catalog.NumberKey, in Go: the two must be the same key.
func TestNumberKeyIsTheMigrationsKey(t *testing.T) {
	pool := testkit.NewPool(t, postgres.Migrations)
	for _, number := range []int64{1, 42, 2147483647} {
		var key uuid.UUID
		if err := pool.QueryRow(context.Background(), `SELECT md5('eshop-go order ' || $1::bigint)::uuid`, number).Scan(&key); err != nil {
			t.Fatal(err)
		}
		if got := catalog.NumberKey(number); got != key {
			t.Fatalf("order %d: NumberKey %s, the migration's key %s", number, got, key)
		}
	}
}

// migrationsFrom splits catalog's migrations at version n: those up to and
// including it, as a tern folder, and the text of the later ones, in order.
func migrationsFrom(t *testing.T, n int) (first fstest.MapFS, later []string) {
	t.Helper()
	files, err := fs.Glob(postgres.Migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	first = fstest.MapFS{}
	for i, f := range files {
		b, err := fs.ReadFile(postgres.Migrations, f)
		if err != nil {
			t.Fatal(err)
		}
		if i < n {
			first[f] = &fstest.MapFile{Data: b}
		} else {
			later = append(later, string(b))
		}
	}
	return first, later
}

// A reservation made before reservations were keyed by the order's uuid is
// found, after the upgrade, by an event of its order number without a uuid
// (an ordering of the release before, or one in flight across it): its
// cancel gives its units back, once.
func TestAReservationMadeBeforeTheUpgradeIsFoundByItsNumber(t *testing.T) {
	ctx := context.Background()
	before, later := migrationsFrom(t, 3)
	pool := testkit.NewPool(t, before)
	store := postgres.NewStore(pool, nil)
	if err := store.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE catalog_items SET available_stock = 7 WHERE id = 1;
		INSERT INTO order_reservations (order_id, state) VALUES (5, 'reserved');
		INSERT INTO order_reservation_lines (order_id, product_id, units) VALUES (5, 1, 3)`); err != nil {
		t.Fatal(err)
	}
	// The later migrations, as tern would run them at the next start.
	for _, sql := range later {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	release := func() catalog.ReservationState {
		var before catalog.ReservationState
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			before, err = store.ReleaseReservation(ctx, tx, catalog.OrderRef{Number: 5})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return before
	}
	if before := release(); before != catalog.Reserved {
		t.Fatalf("the old reservation of order 5 was %q to the release, want reserved", before)
	}
	if before := release(); before != catalog.Released {
		t.Fatalf("a second release found %q, want released", before)
	}
	var stock int
	if err := pool.QueryRow(ctx, `SELECT available_stock FROM catalog_items WHERE id = 1`).Scan(&stock); err != nil {
		t.Fatal(err)
	}
	if stock != 10 {
		t.Fatalf("stock %d after the release, want 10", stock)
	}
}
