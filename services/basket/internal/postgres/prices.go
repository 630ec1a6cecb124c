package postgres

import (
	"context"
	"fmt"

	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/jackc/pgx/v5"
)

// ApplyPriceChange makes the basket lines of the product follow a catalog
// price change, in tx (the inbox transaction of the event). It returns how
// many lines it updated.
//
// With a version, the latest price is the higher-versioned of the stored
// product price and this change; product_prices is moved up to it, and
// every line of the product that is behind it (a lower catalog version, or
// no version and the change's old price) is set to it in one UPDATE through
// the product_id index. So lines end at the price catalog committed last
// whatever the order the changes arrive in, a duplicate changes nothing,
// and a price the buyer set that never was a catalog price is left alone.
//
// Without a version it is the plain eShop rule: lines at OldPrice go to
// NewPrice.
func ApplyPriceChange(ctx context.Context, tx pgx.Tx, c basket.PriceChange) (int64, error) {
	if err := lockProduct(ctx, tx, c.ProductID); err != nil {
		return 0, err
	}
	if !c.Versioned() {
		return applyUnversioned(ctx, tx, c)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO product_prices AS p (product_id, version, price) VALUES ($1, $2, $3)
		ON CONFLICT (product_id) DO UPDATE SET version = EXCLUDED.version, price = EXCLUDED.price
			WHERE p.version < EXCLUDED.version`,
		c.ProductID, c.Version, c.NewPrice); err != nil {
		return 0, fmt.Errorf("price change of product %d: record price: %w", c.ProductID, err)
	}
	// A statement of its own, so that its snapshot is taken after the lock:
	// it sees what an earlier change of the product committed.
	var latestVersion int64
	var latestPrice string
	if err := tx.QueryRow(ctx, `SELECT version, price::text FROM product_prices WHERE product_id = $1`,
		c.ProductID).Scan(&latestVersion, &latestPrice); err != nil {
		return 0, fmt.Errorf("price change of product %d: latest price: %w", c.ProductID, err)
	}
	tag, err := tx.Exec(ctx, `
		UPDATE basket_lines SET
			old_unit_price  = CASE WHEN unit_price <> $2::numeric THEN unit_price ELSE old_unit_price END,
			unit_price      = $2::numeric,
			catalog_version = $3
		WHERE product_id = $1
		  AND ((catalog_version IS NOT NULL AND catalog_version < $3)
		    OR (catalog_version IS NULL AND unit_price = $4))`,
		c.ProductID, latestPrice, latestVersion, c.OldPrice)
	if err != nil {
		return 0, fmt.Errorf("price change of product %d: update lines: %w", c.ProductID, err)
	}
	return tag.RowsAffected(), nil
}

// lockProduct takes the product's lock exclusively until tx ends: price
// changes of one product apply one after the other, and none runs while a
// basket PUT that holds the lock shared (see lockProductsShared) is
// writing lines of the product. Without it, a change could commit while a
// PUT inserts a line at the old price, which the change's UPDATE cannot
// see, and the line would stay behind. The lock key is the product id
// (transaction-scoped advisory locks of the basket database).
func lockProduct(ctx context.Context, tx pgx.Tx, productID int64) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, productID); err != nil {
		return fmt.Errorf("price change of product %d: lock: %w", productID, err)
	}
	return nil
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

// applyUnversioned is the eShop rule for a publisher that sends no version.
// The product's known price is kept up to date only while no versioned
// change was seen, so that it never goes back behind a versioned one.
func applyUnversioned(ctx context.Context, tx pgx.Tx, c basket.PriceChange) (int64, error) {
	if _, err := tx.Exec(ctx, `
		INSERT INTO product_prices AS p (product_id, version, price) VALUES ($1, 0, $2)
		ON CONFLICT (product_id) DO UPDATE SET price = EXCLUDED.price WHERE p.version = 0`,
		c.ProductID, c.NewPrice); err != nil {
		return 0, fmt.Errorf("price change of product %d: known price: %w", c.ProductID, err)
	}
	tag, err := tx.Exec(ctx, `
		UPDATE basket_lines SET old_unit_price = unit_price, unit_price = $2
		WHERE product_id = $1 AND unit_price = $3 AND unit_price <> $2`,
		c.ProductID, c.NewPrice, c.OldPrice)
	if err != nil {
		return 0, fmt.Errorf("price change of product %d: update lines: %w", c.ProductID, err)
	}
	return tag.RowsAffected(), nil
}
