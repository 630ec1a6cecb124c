package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/jackc/pgx/v5"
)

// LockProductPrice takes the product's lock exclusively until tx ends, and
// returns the product's latest known price (the zero ProductPrice when none
// is known). Price changes of one product so apply one after the other,
// and none runs while a basket PUT that holds the lock shared (see
// lockProductsShared) is writing lines of the product. Without it, a change
// could commit while a PUT inserts a line at the old price, which the
// change's UPDATE cannot see, and the line would stay behind. The lock key
// is the product id (transaction-scoped advisory locks of the basket
// database).
func (s *Store) LockProductPrice(ctx context.Context, tx pgx.Tx, productID int64) (basket.ProductPrice, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, productID); err != nil {
		return basket.ProductPrice{}, fmt.Errorf("price of product %d: lock: %w", productID, err)
	}
	// A statement of its own, so that its snapshot is taken after the lock:
	// it sees what an earlier change of the product committed.
	var p basket.ProductPrice
	err := tx.QueryRow(ctx, `SELECT price, version, old_price FROM product_prices WHERE product_id = $1`, productID).
		Scan(&p.Price, &p.Version, &p.OldPrice)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return basket.ProductPrice{}, fmt.Errorf("price of product %d: %w", productID, err)
	}
	return p, nil
}

// FollowPrice applies what a price change does (basket.PriceChange.Follow)
// in tx, which holds the product's lock (LockProductPrice): it keeps the
// product's latest price and moves the lines that follow, all of them in
// one UPDATE through the product_id index. It returns how many lines it
// moved.
func (s *Store) FollowPrice(ctx context.Context, tx pgx.Tx, f basket.PriceFollow) (int64, error) {
	if _, err := tx.Exec(ctx, `
		INSERT INTO product_prices AS p (product_id, price, version, old_price) VALUES ($1, $2, $3, $4)
		ON CONFLICT (product_id) DO UPDATE SET price = EXCLUDED.price, version = EXCLUDED.version, old_price = EXCLUDED.old_price
			WHERE (p.price, p.version, p.old_price) IS DISTINCT FROM (EXCLUDED.price, EXCLUDED.version, EXCLUDED.old_price)`,
		f.ProductID, f.Latest.Price, f.Latest.Version, f.Latest.OldPrice); err != nil {
		return 0, fmt.Errorf("price change of product %d: keep the latest price: %w", f.ProductID, err)
	}
	tag, err := tx.Exec(ctx, `
		UPDATE basket_lines SET
			old_unit_price  = CASE WHEN $7::numeric IS NOT NULL THEN $7::numeric
			                       WHEN unit_price <> $4::numeric THEN unit_price
			                       ELSE old_unit_price END,
			unit_price      = $4::numeric,
			catalog_version = CASE WHEN $6 THEN catalog_version ELSE $5 END
		WHERE product_id = $1
		  AND (catalog_version < $2
		    OR (unit_price = $3::numeric AND (catalog_version IS NULL OR $6)))`,
		f.ProductID, f.VersionBelow, f.From, f.To.Price, f.To.Version, f.Unversioned, f.To.OldPrice)
	if err != nil {
		return 0, fmt.Errorf("price change of product %d: move the lines: %w", f.ProductID, err)
	}
	return tag.RowsAffected(), nil
}

// lockProductsShared takes the locks of the products shared until tx ends,
// in product order. A PUT takes them before it touches any line, so it
// never holds a line a price change waits for while it waits for that
// change.
func lockProductsShared(ctx context.Context, tx pgx.Tx, productIDs []int64) error {
	if len(productIDs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		SELECT pg_advisory_xact_lock_shared(product_id)
		FROM (SELECT DISTINCT unnest($1::bigint[]) AS product_id ORDER BY 1) AS products`, productIDs)
	if err != nil {
		return fmt.Errorf("lock products: %w", err)
	}
	return nil
}
