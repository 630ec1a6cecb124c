// Package postgres is the basket store in PostgreSQL: baskets, their lines
// (indexed by product, so that a catalog price change is one set-based
// UPDATE), the latest catalog price of each product, and the checkout
// request ids already accepted. A checkout is saved with its event in the
// outbox, in the same transaction. Its migrations are embedded
// ([Migrations]).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migrations are the basket's tern migrations, for postgres.Migrate of the
// building blocks.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// CheckoutEvent turns an accepted checkout of a basket into the integration
// event that hands it to ordering. The events package provides it; the
// store only puts the result in the outbox.
type CheckoutEvent func(basket.Checkout, basket.Basket) eventbus.Event

// Store reads and writes baskets.
type Store struct {
	pool          *pgxpool.Pool
	checkoutEvent CheckoutEvent
}

// NewStore returns a store on pool that hands checkouts to ordering with
// checkoutEvent.
func NewStore(pool *pgxpool.Pool, checkoutEvent CheckoutEvent) *Store {
	return &Store{pool: pool, checkoutEvent: checkoutEvent}
}

// Basket returns the buyer's basket; a buyer without one gets an empty
// basket.
func (s *Store) Basket(ctx context.Context, buyerID string) (basket.Basket, error) {
	return readBasket(ctx, s.pool, buyerID)
}

// querier is what readBasket needs: a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readBasket(ctx context.Context, q querier, buyerID string) (basket.Basket, error) {
	rows, err := q.Query(ctx, `
		SELECT id, product_id, product_name, unit_price, old_unit_price, quantity, picture_url
		FROM basket_lines WHERE buyer_id = $1 ORDER BY position`, buyerID)
	if err != nil {
		return basket.Basket{}, fmt.Errorf("read basket: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (basket.Item, error) {
		var it basket.Item
		var id uuid.UUID
		var old *money.Money
		err := row.Scan(&id, &it.ProductID, &it.ProductName, &it.UnitPrice, &old, &it.Quantity, &it.PictureURL)
		it.ID, it.OldUnitPrice = id.String(), old
		return it, err
	})
	if err != nil {
		return basket.Basket{}, fmt.Errorf("read basket: %w", err)
	}
	return basket.Basket{BuyerID: buyerID, Items: items}, nil
}

// Replace replaces the buyer's items with items (validated by the caller)
// and returns the stored basket. A line whose unit price is the latest
// catalog price the basket knows for its product is marked with that
// price's version, so that it follows the next price changes; a line at
// another price (the buyer's own) is not.
func (s *Store) Replace(ctx context.Context, buyerID string, items []basket.Item) (basket.Basket, error) {
	var b basket.Basket
	products := make([]int64, len(items))
	for i, it := range items {
		products[i] = it.ProductID
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// First, so that the catalog versions the lines get are the ones
		// of the last price change committed (see LockProductPrice).
		if err := lockProductsShared(ctx, tx, products); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO baskets (buyer_id) VALUES ($1)
			ON CONFLICT (buyer_id) DO UPDATE SET updated_at = now()`, buyerID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM basket_lines WHERE buyer_id = $1`, buyerID); err != nil {
			return err
		}
		if len(items) > 0 {
			if err := insertLines(ctx, tx, buyerID, items); err != nil {
				return err
			}
		}
		var err error
		b, err = readBasket(ctx, tx, buyerID)
		return err
	})
	if err != nil {
		return basket.Basket{}, fmt.Errorf("replace basket of %q: %w", buyerID, err)
	}
	return b, nil
}

func insertLines(ctx context.Context, tx pgx.Tx, buyerID string, items []basket.Item) error {
	n := len(items)
	ids, positions := make([]uuid.UUID, n), make([]int32, n)
	products, names, pictures := make([]int64, n), make([]string, n), make([]string, n)
	prices, quantities := make([]money.Money, n), make([]int32, n)
	for i, it := range items {
		ids[i], positions[i] = uuid.New(), int32(i)
		products[i], names[i], pictures[i] = it.ProductID, it.ProductName, it.PictureURL
		prices[i], quantities[i] = it.UnitPrice, int32(it.Quantity)
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO basket_lines
			(id, buyer_id, position, product_id, product_name, unit_price, quantity, picture_url, catalog_version)
		SELECT l.id, $1, l.position, l.product_id, l.product_name, l.unit_price, l.quantity, l.picture_url,
		       p.version
		FROM unnest($2::uuid[], $3::int[], $4::bigint[], $5::text[], $6::numeric[], $7::int[], $8::text[])
			AS l(id, position, product_id, product_name, unit_price, quantity, picture_url)
		LEFT JOIN product_prices p ON p.product_id = l.product_id AND p.price = l.unit_price`,
		buyerID, ids, positions, products, names, prices, quantities, pictures)
	return err
}

// Delete deletes the buyer's basket. Deleting a basket that does not exist
// is not an error.
func (s *Store) Delete(ctx context.Context, buyerID string) error {
	return deleteBasket(ctx, s.pool, buyerID)
}

// DeleteBasket is Delete in tx (the inbox transaction of an event).
func (s *Store) DeleteBasket(ctx context.Context, tx pgx.Tx, buyerID string) error {
	return deleteBasket(ctx, tx, buyerID)
}

// execer is what deleteBasket needs: a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func deleteBasket(ctx context.Context, db execer, buyerID string) error {
	if _, err := db.Exec(ctx, `DELETE FROM baskets WHERE buyer_id = $1`, buyerID); err != nil {
		return fmt.Errorf("delete basket of %q: %w", buyerID, err)
	}
	return nil
}

// Checkout accepts a checkout of the buyer's basket: in one transaction it
// records the request id, reads the basket and stores in the outbox the
// event that hands it to ordering. It returns basket.ErrEmptyBasket for a
// basket without lines and a *basket.LinesError for one whose lines cannot
// be ordered (and records nothing), and basket.ErrRequestIDTaken
// when another buyer used the request id. A request id the buyer already
// used is accepted again without a second event: replayed is then true.
func (s *Store) Checkout(ctx context.Context, c basket.Checkout) (replayed bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var owner string
		err := tx.QueryRow(ctx, `
			INSERT INTO checkout_requests (request_id, buyer_id) VALUES ($1, $2)
			ON CONFLICT (request_id) DO NOTHING
			RETURNING buyer_id`, c.RequestID, c.BuyerID).Scan(&owner)
		if errors.Is(err, pgx.ErrNoRows) {
			// The request id is taken, by this buyer (a retried request)
			// or by another one. A concurrent insert of the same id waits
			// for the first transaction, so the row read here is committed.
			if err := tx.QueryRow(ctx, `SELECT buyer_id FROM checkout_requests WHERE request_id = $1`, c.RequestID).Scan(&owner); err != nil {
				return err
			}
			if owner != c.BuyerID {
				return basket.ErrRequestIDTaken
			}
			replayed = true
			return nil
		}
		if err != nil {
			return err
		}
		// Lock the basket so that the event holds the lines as they are at
		// commit, not as a concurrent PUT leaves them.
		if _, err := tx.Exec(ctx, `SELECT FROM baskets WHERE buyer_id = $1 FOR UPDATE`, c.BuyerID); err != nil {
			return err
		}
		b, err := readBasket(ctx, tx, c.BuyerID)
		if err != nil {
			return err
		}
		if err := b.CanCheckOut(); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, s.checkoutEvent(c, b))
	})
	if err != nil && !errors.Is(err, basket.ErrEmptyBasket) && !errors.Is(err, basket.ErrInvalidLines) && !errors.Is(err, basket.ErrRequestIDTaken) {
		err = fmt.Errorf("checkout of %q: %w", c.BuyerID, err)
	}
	return replayed, err
}

// PurgeCheckoutRequests forgets the checkout request ids accepted before
// olderThan ago and returns how many it forgot. A retry that late is
// accepted as a new checkout; ordering still makes at most one order per
// request id.
func (s *Store) PurgeCheckoutRequests(ctx context.Context, olderThan time.Duration) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM checkout_requests WHERE accepted_at < now() - $1::interval`, olderThan)
	if err != nil {
		return 0, fmt.Errorf("purge checkout requests: %w", err)
	}
	return tag.RowsAffected(), nil
}
