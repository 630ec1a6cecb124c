package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/jackc/pgx/v5"
)

// querier is what a pool and a transaction have in common.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Get returns order number with its lines, or ordering.ErrNotFound.
func (s *Store) Get(ctx context.Context, number int64) (*ordering.Order, error) {
	return load(ctx, s.pool, number, false)
}

// load reads an order and its lines; forUpdate locks the order's row until
// the transaction ends, so that concurrent changes of one order serialize.
func load(ctx context.Context, q querier, number int64, forUpdate bool) (*ordering.Order, error) {
	sql := `
		SELECT o.order_number, o.order_guid, o.request_id, o.buyer_id, b.name, o.status, o.description,
			o.street, o.city, o.state, o.country, o.zip_code,
			o.card_type_id, o.payment_token, o.card_last4, o.card_holder_name, o.card_expiration, o.created_at
		FROM orders o JOIN buyers b ON b.id = o.buyer_id
		WHERE o.order_number = $1`
	if forUpdate {
		sql += ` FOR UPDATE OF o`
	}
	o := &ordering.Order{}
	err := q.QueryRow(ctx, sql, number).Scan(&o.Number, &o.GUID, &o.RequestID, &o.Buyer.ID, &o.Buyer.Name, &o.Status, &o.Description,
		&o.Address.Street, &o.Address.City, &o.Address.State, &o.Address.Country, &o.Address.ZipCode,
		&o.Card.TypeID, &o.Card.PaymentToken, &o.Card.Last4, &o.Card.HolderName, &o.Card.Expiration, &o.Date)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("order %d: %w", number, ordering.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load order %d: %w", number, err)
	}
	rows, err := q.Query(ctx, `
		SELECT product_id, product_name, unit_price, units, picture_url
		FROM order_items WHERE order_number = $1 ORDER BY line`, number)
	if err != nil {
		return nil, fmt.Errorf("load items of order %d: %w", number, err)
	}
	o.Items, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ordering.Item, error) {
		var it ordering.Item
		err := row.Scan(&it.ProductID, &it.ProductName, &it.UnitPrice, &it.Units, &it.PictureURL)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("load items of order %d: %w", number, err)
	}
	return o, nil
}

// ListByBuyer returns a buyer's orders, newest first (none for a buyer
// without orders).
func (s *Store) ListByBuyer(ctx context.Context, buyerID string) ([]ordering.Summary, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT order_number, created_at, status, total FROM orders
		WHERE buyer_id = $1
		ORDER BY created_at DESC, order_number DESC`, buyerID)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ordering.Summary, error) {
		var o ordering.Summary
		err := row.Scan(&o.Number, &o.Date, &o.Status, &o.Total)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return list, nil
}

// CardTypes returns the card types the shop accepts, by id.
func (s *Store) CardTypes(ctx context.Context) ([]ordering.CardType, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name FROM card_types ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list card types: %w", err)
	}
	types, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ordering.CardType, error) {
		var c ordering.CardType
		err := row.Scan(&c.ID, &c.Name)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list card types: %w", err)
	}
	return types, nil
}

// CardTypeExists reports whether the shop accepts the card type id, in tx.
func (s *Store) CardTypeExists(ctx context.Context, tx pgx.Tx, id int) (bool, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM card_types WHERE id = $1)`, id).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up card type %d: %w", id, err)
	}
	return exists, nil
}
