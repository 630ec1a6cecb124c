package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const itemColumns = `id, name, description, price, price_version, version, picture_file_name,
	catalog_type_id, catalog_brand_id, available_stock, restock_threshold, max_stock_threshold, on_reorder`

// itemRow is the destination of a scan of itemColumns. Its pointers are set
// up once per query and reused for every row, which keeps a page's scan
// from allocating per row.
type itemRow struct {
	item catalog.Item
	dest []any
}

func newItemRow() *itemRow {
	r := &itemRow{}
	it := &r.item
	r.dest = []any{&it.ID, &it.Name, &it.Description, &it.Price, &it.PriceVersion, &it.Version, &it.PictureFileName,
		&it.CatalogTypeID, &it.CatalogBrandID, &it.AvailableStock, &it.RestockThreshold, &it.MaxStockThreshold, &it.OnReorder}
	return r
}

func scanItem(row pgx.Row) (catalog.Item, error) {
	r := newItemRow()
	err := row.Scan(r.dest...)
	return r.item, err
}

// collectItems reads every row into a slice of room for capacity items.
func collectItems(rows pgx.Rows, capacity int) ([]catalog.Item, error) {
	items := make([]catalog.Item, 0, capacity)
	r := newItemRow()
	_, err := pgx.ForEachRow(rows, r.dest, func() error {
		items = append(items, r.item)
		return nil
	})
	return items, err
}

// Item returns the item id, or catalog.ErrNotFound.
func (s *Store) Item(ctx context.Context, id int64) (catalog.Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM catalog_items WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return catalog.Item{}, catalog.ErrNotFound
	}
	if err != nil {
		return catalog.Item{}, fmt.Errorf("get item %d: %w", id, err)
	}
	return it, nil
}

// ItemsByIDs returns the items of ids that exist, ordered by id.
func (s *Store) ItemsByIDs(ctx context.Context, ids []int64) ([]catalog.Item, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+` FROM catalog_items WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("get items by ids: %w", err)
	}
	items, err := collectItems(rows, len(ids))
	if err != nil {
		return nil, fmt.Errorf("get items by ids: %w", err)
	}
	return items, nil
}

// Items returns a page of the items that match f, ordered by name, and how
// many match in all. The count and the page are read in one round trip.
func (s *Store) Items(ctx context.Context, f catalog.ItemFilter) (catalog.ItemPage, error) {
	where, args := itemFilter(f)
	var page catalog.ItemPage
	batch := &pgx.Batch{}
	batch.Queue(`SELECT count(*) FROM catalog_items`+where, args...).
		QueryRow(func(row pgx.Row) error { return row.Scan(&page.Count) })
	n := len(args)
	batch.Queue(fmt.Sprintf(`SELECT %s FROM catalog_items%s ORDER BY name, id LIMIT $%d OFFSET $%d`, itemColumns, where, n+1, n+2),
		append(args, f.PageSize, int64(f.PageIndex)*int64(f.PageSize))...).
		Query(func(rows pgx.Rows) (err error) {
			page.Items, err = collectItems(rows, f.PageSize)
			return err
		})
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return catalog.ItemPage{}, fmt.Errorf("list items: %w", err)
	}
	return page, nil
}

// itemFilter returns the WHERE clause of the filters that f sets, and its
// arguments. Only the conditions in use are in the SQL, so that each
// combination gets a plan of its own, and the unfiltered first page is the
// plainest query there is.
func itemFilter(f catalog.ItemFilter) (string, []any) {
	var conds []string
	var args []any
	if f.NamePrefix != "" {
		args = append(args, likePrefix(strings.ToLower(f.NamePrefix)))
		conds = append(conds, fmt.Sprintf("lower(name) LIKE $%d", len(args)))
	}
	if f.TypeID != 0 {
		args = append(args, f.TypeID)
		conds = append(conds, fmt.Sprintf("catalog_type_id = $%d", len(args)))
	}
	if f.BrandID != 0 {
		args = append(args, f.BrandID)
		conds = append(conds, fmt.Sprintf("catalog_brand_id = $%d", len(args)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// likePrefix turns a prefix into a LIKE pattern that matches it literally.
func likePrefix(prefix string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(prefix) + "%"
}

// CreateItem stores a new item and returns it with its id. An unknown type
// or brand is reported as catalog.FieldErrors.
func (s *Store) CreateItem(ctx context.Context, it catalog.Item) (catalog.Item, error) {
	var created catalog.Item
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := checkReferences(ctx, tx, it); err != nil {
			return err
		}
		var err error
		created, err = scanItem(tx.QueryRow(ctx, `
			INSERT INTO catalog_items (name, description, price, picture_file_name, catalog_type_id,
				catalog_brand_id, available_stock, restock_threshold, max_stock_threshold, on_reorder)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			RETURNING `+itemColumns,
			it.Name, it.Description, it.Price, it.PictureFileName, it.CatalogTypeID,
			it.CatalogBrandID, it.AvailableStock, it.RestockThreshold, it.MaxStockThreshold, it.OnReorder))
		return err
	})
	if err != nil {
		return catalog.Item{}, fmt.Errorf("create item: %w", err)
	}
	return created, nil
}

// UpdateItem replaces the item edit.ID with edit (catalog.Item.Update),
// unless the item is no longer at edit.Version: then it returns
// catalog.ErrStale and changes nothing. The version is compared under the
// row's lock, in the transaction that writes the row, so no change can slip
// in between. When the price changes, the item's new price version and the
// event that announces the change are saved in the same transaction: the
// change and its event commit together or not at all. It returns
// catalog.ErrNotFound for an unknown id. The item it returns has its new
// version.
func (s *Store) UpdateItem(ctx context.Context, edit catalog.Item) (catalog.Item, error) {
	var updated catalog.Item
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// FOR UPDATE: two edits of one item take turns, so the second sees
		// the version the first wrote, and each price change counts its
		// own price version.
		it, err := scanItem(tx.QueryRow(ctx, `SELECT `+itemColumns+` FROM catalog_items WHERE id = $1 FOR UPDATE`, edit.ID))
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.ErrNotFound
		}
		if err != nil {
			return err
		}
		change, err := it.Update(edit)
		if err != nil {
			return err
		}
		if err := checkReferences(ctx, tx, it); err != nil {
			return err
		}
		// The version is not set here: the table's trigger counts one more
		// on every update of the row (migrations/002_item_version.sql).
		updated, err = scanItem(tx.QueryRow(ctx, `
			UPDATE catalog_items SET name = $2, description = $3, price = $4, picture_file_name = $5,
				catalog_type_id = $6, catalog_brand_id = $7, available_stock = $8, restock_threshold = $9,
				max_stock_threshold = $10, on_reorder = $11, price_version = $12
			WHERE id = $1
			RETURNING `+itemColumns,
			it.ID, it.Name, it.Description, it.Price, it.PictureFileName, it.CatalogTypeID, it.CatalogBrandID,
			it.AvailableStock, it.RestockThreshold, it.MaxStockThreshold, it.OnReorder, it.PriceVersion))
		if err != nil || change == nil {
			return err
		}
		return outbox.Add(ctx, tx, s.priceChangeEvent(*change))
	})
	if err != nil {
		return catalog.Item{}, fmt.Errorf("update item %d: %w", edit.ID, err)
	}
	return updated, nil
}

// checkReferences reports an unknown type or brand as catalog.FieldErrors.
func checkReferences(ctx context.Context, tx pgx.Tx, it catalog.Item) error {
	var typeExists, brandExists bool
	err := tx.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM catalog_types WHERE id = $1),
		EXISTS (SELECT 1 FROM catalog_brands WHERE id = $2)`,
		it.CatalogTypeID, it.CatalogBrandID).Scan(&typeExists, &brandExists)
	if err != nil {
		return err
	}
	errs := catalog.FieldErrors{}
	if !typeExists {
		errs.Add("catalogTypeId", fmt.Sprintf("there is no catalog type %d", it.CatalogTypeID))
	}
	if !brandExists {
		errs.Add("catalogBrandId", fmt.Sprintf("there is no catalog brand %d", it.CatalogBrandID))
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// DeleteItem deletes the item id, or returns catalog.ErrNotFound.
func (s *Store) DeleteItem(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM catalog_items WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete item %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return catalog.ErrNotFound
	}
	return nil
}

// Types returns the catalog types, ordered by id.
func (s *Store) Types(ctx context.Context) ([]catalog.Type, error) {
	return list[catalog.Type](ctx, s.pool, "types", `SELECT id, type FROM catalog_types ORDER BY id`)
}

// Brands returns the catalog brands, ordered by id.
func (s *Store) Brands(ctx context.Context) ([]catalog.Brand, error) {
	return list[catalog.Brand](ctx, s.pool, "brands", `SELECT id, brand FROM catalog_brands ORDER BY id`)
}

// list returns the rows of query as Ts, a column per field in order; what
// names them in its errors.
func list[T any](ctx context.Context, pool *pgxpool.Pool, what, query string) ([]T, error) {
	rows, err := pool.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[T])
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return all, nil
}
