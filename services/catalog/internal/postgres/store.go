// Package postgres stores the catalog in PostgreSQL: items, brands and types,
// the price change events in the outbox, and the stock reservations of
// orders. Its migrations are embedded ([Migrations]).
package postgres

import (
	"embed"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the catalog's tern migrations, for postgres.Migrate of
// the building blocks.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded above; it exists
	}
	return sub
}

// Store reads and writes the catalog.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }
