// Package postgres stores the catalog in PostgreSQL: items, brands and types,
// and the stock reservations of orders. A price change the domain records
// (catalog.Item.Update) is saved with its event in the outbox, in the same
// transaction. Every update of an item counts one more version of it, by a
// trigger of the table, whatever statement makes it; an edit of an older
// version is refused under the row's lock (UpdateItem). Its migrations are
// embedded ([Migrations]).
package postgres

import (
	"embed"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Migrations are the catalog's tern migrations, for postgres.Migrate of the
// building blocks.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// PriceChangeEvent turns a price change into the integration event that
// announces it. The events package provides it; the store only puts the
// result in the outbox.
type PriceChangeEvent func(catalog.PriceChange) eventbus.Event

// Store reads and writes the catalog.
type Store struct {
	pool             *pgxpool.Pool
	priceChangeEvent PriceChangeEvent
}

// NewStore returns a store on pool that announces price changes with
// priceChangeEvent.
func NewStore(pool *pgxpool.Pool, priceChangeEvent PriceChangeEvent) *Store {
	return &Store{pool: pool, priceChangeEvent: priceChangeEvent}
}
