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
	if !c.Versioned() {
		return applyUnversioned(ctx, tx, c)
	}
	// ON CONFLICT DO UPDATE locks the product's row even when its WHERE
	// keeps the stored (newer) price, so changes of one product apply one
	// after the other; RETURNING then gives nothing and the SELECT reads
	// the newer row.
	var latestVersion int64
	var latestPrice string
	err := tx.QueryRow(ctx, `
		WITH upserted AS (
			INSERT INTO product_prices AS p (product_id, version, price) VALUES ($1, $2, $3)
			ON CONFLICT (product_id) DO UPDATE SET version = EXCLUDED.version, price = EXCLUDED.price
				WHERE p.version < EXCLUDED.version
			RETURNING version, price
		)
		SELECT version, price::text FROM upserted
		UNION ALL
		SELECT version, price::text FROM product_prices WHERE product_id = $1 AND NOT EXISTS (SELECT FROM upserted)`,
		c.ProductID, c.Version, c.NewPrice).Scan(&latestVersion, &latestPrice)
	if err != nil {
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
