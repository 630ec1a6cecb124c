package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/jackc/pgx/v5"
)

// The stock methods run inside a transaction the caller owns (the inbox's,
// which also records the event as handled and takes the events the outcome
// causes). Each one first claims the order's row in order_reservations and
// only then touches products, always in product-id order, so that two
// transactions never wait for each other in a cycle. Each change of a
// product's stock counts one more version of the item (the table's
// trigger), so an editor who read the item before gets 412, not the power
// to put the reserved units back on sale.

// ReserveStock reserves the units of every line of the order, or none. It
// returns Confirmed when it reserved them (or an earlier request for the
// same order did), Rejected with stock and price per product when a
// product lacks units, is not at the order's unit price, or does not
// exist (catalog.CheckOrder), and AlreadyReleased when the order was
// cancelled first.
func (s *Store) ReserveStock(ctx context.Context, tx pgx.Tx, order catalog.OrderRef, lines []catalog.OrderLine) (catalog.Reservation, error) {
	orderID, key := order.Number, order.Key()
	claimed, state, err := claimOrder(ctx, tx, order, catalog.Reserved)
	if err != nil {
		return catalog.Reservation{}, fmt.Errorf("reserve stock of order %d: %w", orderID, err)
	}
	if !claimed {
		if state == catalog.Released {
			return catalog.Reservation{Outcome: catalog.AlreadyReleased}, nil
		}
		return catalog.Reservation{Outcome: catalog.Confirmed}, nil
	}

	merged := catalog.MergeLines(lines)
	ids := make([]int64, len(merged))
	for i, l := range merged {
		ids[i] = l.ProductID
	}
	// Lock the products in id order, then decide for all of them at once:
	// neither their stock nor their price can change until the commit.
	rows, err := tx.Query(ctx, `SELECT id, available_stock, price FROM catalog_items
		WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return catalog.Reservation{}, fmt.Errorf("reserve stock of order %d: lock products: %w", orderID, err)
	}
	products := map[int64]catalog.Product{}
	var id int64
	var p catalog.Product
	if _, err := pgx.ForEachRow(rows, []any{&id, &p.Available, &p.Price}, func() error { products[id] = p; return nil }); err != nil {
		return catalog.Reservation{}, fmt.Errorf("reserve stock of order %d: lock products: %w", orderID, err)
	}
	perProduct, ok := catalog.CheckOrder(lines, products)
	if !ok {
		// Nothing is reserved: undo the claim so that a later request for
		// the order is decided afresh, and a cancel finds no reservation.
		if _, err := tx.Exec(ctx, `DELETE FROM order_reservations WHERE order_guid = $1`, key); err != nil {
			return catalog.Reservation{}, fmt.Errorf("reserve stock of order %d: %w", orderID, err)
		}
		return catalog.Reservation{Outcome: catalog.Rejected, Lines: perProduct}, nil
	}

	for _, l := range merged {
		// Conditional even though the rows are locked: the database, not
		// this code, is what guarantees stock never goes below zero.
		tag, err := tx.Exec(ctx, `UPDATE catalog_items SET available_stock = available_stock - $2
			WHERE id = $1 AND available_stock >= $2`, l.ProductID, l.Units)
		if err != nil {
			return catalog.Reservation{}, fmt.Errorf("reserve stock of order %d: %w", orderID, err)
		}
		if tag.RowsAffected() != 1 {
			return catalog.Reservation{}, fmt.Errorf("reserve stock of order %d: product %d changed under its lock", orderID, l.ProductID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO order_reservation_lines (order_guid, product_id, units)
			VALUES ($1, $2, $3)`, key, l.ProductID, l.Units); err != nil {
			return catalog.Reservation{}, fmt.Errorf("reserve stock of order %d: %w", orderID, err)
		}
	}
	return catalog.Reservation{Outcome: catalog.Confirmed}, nil
}

// FinalizeReservation marks the order's reservation final: the order was
// paid and its units are sold. It reports whether there was a reservation
// to finalize.
func (s *Store) FinalizeReservation(ctx context.Context, tx pgx.Tx, order catalog.OrderRef) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE order_reservations SET state = 'final', updated_at = now()
		WHERE order_guid = $1 AND state = 'reserved'`, order.Key())
	if err != nil {
		return false, fmt.Errorf("finalize reservation of order %d: %w", order.Number, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseReservation gives the reserved units of a cancelled order back to
// the stock, once. An order with no reservation yet gets a "released" mark,
// so that its reservation, if asked for later, reserves nothing. A final
// (paid) reservation is not released. It returns the state the reservation
// had before, "" when there was none.
func (s *Store) ReleaseReservation(ctx context.Context, tx pgx.Tx, order catalog.OrderRef) (catalog.ReservationState, error) {
	orderID, key := order.Number, order.Key()
	claimed, state, err := claimOrder(ctx, tx, order, catalog.Released)
	if err != nil {
		return "", fmt.Errorf("release reservation of order %d: %w", orderID, err)
	}
	if claimed {
		return "", nil
	}
	if state != catalog.Reserved {
		return state, nil
	}
	// Lock the products in id order, as when reserving, then give back.
	if _, err := tx.Exec(ctx, `SELECT id FROM catalog_items WHERE id IN
		(SELECT product_id FROM order_reservation_lines WHERE order_guid = $1) ORDER BY id FOR UPDATE`, key); err != nil {
		return "", fmt.Errorf("release reservation of order %d: %w", orderID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE catalog_items i SET available_stock = i.available_stock + l.units
		FROM order_reservation_lines l WHERE l.order_guid = $1 AND i.id = l.product_id`, key); err != nil {
		return "", fmt.Errorf("release reservation of order %d: %w", orderID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE order_reservations SET state = 'released', updated_at = now()
		WHERE order_guid = $1`, key); err != nil {
		return "", fmt.Errorf("release reservation of order %d: %w", orderID, err)
	}
	return catalog.Reserved, nil
}

// claimOrder inserts the order's reservation row in state, unless it exists.
// It returns whether it inserted it, else the existing row's state, locked
// until the transaction ends. A concurrent transaction claiming the same
// order waits here for the first one to finish. The row is the order's key
// (catalog.OrderRef.Key), not its number: another order of the same number
// (from a recreated ordering database) claims a row of its own.
func claimOrder(ctx context.Context, tx pgx.Tx, order catalog.OrderRef, state catalog.ReservationState) (bool, catalog.ReservationState, error) {
	orderID, key := order.Number, order.Key()
	tag, err := tx.Exec(ctx, `INSERT INTO order_reservations (order_guid, order_id, state) VALUES ($1, $2, $3)
		ON CONFLICT (order_guid) DO NOTHING`, key, orderID, string(state))
	if err != nil {
		return false, "", err
	}
	if tag.RowsAffected() == 1 {
		return true, "", nil
	}
	var existing string
	err = tx.QueryRow(ctx, `SELECT state FROM order_reservations WHERE order_guid = $1 FOR UPDATE`, key).Scan(&existing)
	if errors.Is(err, pgx.ErrNoRows) {
		// The row we collided with was deleted (a rejected reservation);
		// the caller's transaction retries through the bus.
		return false, "", fmt.Errorf("order %d: reservation row vanished while claiming it", orderID)
	}
	if err != nil {
		return false, "", err
	}
	return false, catalog.ReservationState(existing), nil
}
