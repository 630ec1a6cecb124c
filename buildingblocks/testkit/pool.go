package testkit

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// NewPool creates a fresh database for this test (see [NewDatabase]),
// applies the building blocks' schema and then the service's migrations
// (nil for none) with postgres.Migrate, and returns a pool on it. The pool
// is closed, and the database dropped, when the test ends.
func NewPool(t testing.TB, service fs.FS) *pgxpool.Pool {
	t.Helper()
	return PoolFor(t, NewDatabase(t), service)
}

// PoolFor is [NewPool] on an existing database URL, e.g. one with its own
// application_name so that a test can find its sessions.
func PoolFor(t testing.TB, databaseURL string, service fs.FS) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pool, err := postgres.NewPool(ctx, databaseURL)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := postgres.Migrate(ctx, pool, service); err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return pool
}

// OpenPool returns a pool on the database at databaseURL as it is (a
// service under test migrates its own), closed when the test ends.
func OpenPool(t testing.TB, databaseURL string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), databaseURL)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
