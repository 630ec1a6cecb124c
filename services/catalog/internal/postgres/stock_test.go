package postgres_test

import (
	"context"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/eshop-go/eshop-go/services/catalog/internal/postgres"
	"github.com/google/uuid"
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
