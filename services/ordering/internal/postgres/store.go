// Package postgres is ordering's store: orders, their lines, buyers and
// card types in PostgreSQL. Its migrations are embedded ([Migrations]).
//
// Every write that changes an order's status stores the status events the
// order recorded (ordering.Order.Changes) in the outbox, in the same
// transaction, so a status is never committed without its event nor an
// event published for a status that was rolled back.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
)

// Migrations are ordering's tern migrations, for postgres.Migrate of the
// building blocks.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// StatusEvent turns a status change into the integration event that
// announces it. The events package provides it; the store only puts the
// result in the outbox.
type StatusEvent func(ordering.StatusChange) eventbus.Event

// Store keeps orders in PostgreSQL.
type Store struct {
	pool        *pgxpool.Pool
	statusEvent StatusEvent
}

// NewStore returns a store on pool that announces status changes with
// statusEvent.
func NewStore(pool *pgxpool.Pool, statusEvent StatusEvent) *Store {
	return &Store{pool: pool, statusEvent: statusEvent}
}

// Create saves a new order in tx, with its buyer and lines, and stores its
// status events (Submitted) in the outbox. When an order of the same
// request id exists already it saves nothing and returns false: that is
// how a repeated checkout never makes a second order.
func (s *Store) Create(ctx context.Context, tx pgx.Tx, o *ordering.Order) (created bool, err error) {
	if _, err := tx.Exec(ctx, `
		INSERT INTO buyers (id, name) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
		WHERE buyers.name <> EXCLUDED.name`, o.Buyer.ID, o.Buyer.Name); err != nil {
		return false, fmt.Errorf("save buyer: %w", err)
	}
	// ON CONFLICT DO NOTHING waits for a concurrent insert of the same
	// request id to commit or roll back, so two deliveries racing each
	// other still make one order.
	// The trace context of the checkout, for the grace-period worker's
	// trace to link to (AwaitValidation).
	cause := tracing.Headers(ctx)
	err = tx.QueryRow(ctx, `
		INSERT INTO orders (request_id, buyer_id, status, description, street, city, state, country, zip_code,
			card_type_id, payment_token, card_last4, card_holder_name, card_expiration, total, traceparent, tracestate, order_guid)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULLIF($16, ''), NULLIF($17, ''), $18)
		ON CONFLICT (request_id) DO NOTHING
		RETURNING order_number, created_at`,
		o.RequestID, o.Buyer.ID, o.Status, o.Description,
		o.Address.Street, o.Address.City, o.Address.State, o.Address.Country, o.Address.ZipCode,
		o.Card.TypeID, o.Card.PaymentToken, o.Card.Last4, o.Card.HolderName, o.Card.Expiration, o.Total(),
		cause[tracing.TraceparentHeader], cause[tracing.TracestateHeader], o.GUID,
	).Scan(&o.Number, &o.Date)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("save order: %w", err)
	}
	rows := make([][]any, len(o.Items))
	for i, it := range o.Items {
		rows[i] = []any{o.Number, i + 1, it.ProductID, it.ProductName, it.UnitPrice, it.Units, it.PictureURL}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"order_items"},
		[]string{"order_number", "line", "product_id", "product_name", "unit_price", "units", "picture_url"},
		pgx.CopyFromRows(rows)); err != nil {
		return false, fmt.Errorf("save order items: %w", err)
	}
	if err := s.addEvents(ctx, tx, o.Changes()); err != nil {
		return false, err
	}
	return true, nil
}

// Change loads order number for update, applies change to it and saves
// what changed, with its status events, in one transaction. An error of
// change (e.g. an illegal transition) is returned as is and nothing is
// saved. It returns the order as it is after the change.
func (s *Store) Change(ctx context.Context, number int64, change func(*ordering.Order) error) (*ordering.Order, error) {
	var o *ordering.Order
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		o, err = s.ChangeTx(ctx, tx, number, change)
		return err
	})
	return o, err
}

// ChangeTx is Change in the caller's transaction (an inbox handler's).
func (s *Store) ChangeTx(ctx context.Context, tx pgx.Tx, number int64, change func(*ordering.Order) error) (*ordering.Order, error) {
	o, err := load(ctx, tx, number, true)
	if err != nil {
		return nil, err
	}
	if err := change(o); err != nil {
		return nil, err
	}
	if err := s.save(ctx, tx, o); err != nil {
		return nil, err
	}
	return o, nil
}

// save writes o's status, description and payment token (which the order
// forgets once Paid or Cancelled) when it recorded changes, and its status
// events to the outbox.
func (s *Store) save(ctx context.Context, tx pgx.Tx, o *ordering.Order) error {
	changes := o.Changes()
	if len(changes) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE orders SET status = $2, description = $3, payment_token = $4, updated_at = now() WHERE order_number = $1`,
		o.Number, o.Status, o.Description, o.Card.PaymentToken); err != nil {
		return fmt.Errorf("save order %d: %w", o.Number, err)
	}
	return s.addEvents(ctx, tx, changes)
}

func (s *Store) addEvents(ctx context.Context, tx pgx.Tx, changes []ordering.StatusChange) error {
	events := make([]eventbus.Event, len(changes))
	for i, c := range changes {
		events[i] = s.statusEvent(c)
	}
	return outbox.Add(ctx, tx, events...)
}

// AwaitValidation moves up to batch orders that have been Submitted for at
// least gracePeriod (by the database's clock) to AwaitingValidation, with
// their events, in one transaction, and returns their numbers. The rows are
// claimed with FOR UPDATE SKIP LOCKED: another process running the same
// query at the same time skips them instead of waiting, and finds them no
// longer Submitted once this one commits, so each order moves once.
//
// A timer, not a request, started this: each order's move is the root span
// of a new trace ("grace period over"), linked to the trace of the checkout
// that created the order, and its events continue the new trace.
func (s *Store) AwaitValidation(ctx context.Context, gracePeriod time.Duration, batch int) ([]int64, error) {
	type due struct {
		Number                  int64
		Traceparent, Tracestate *string
	}
	var moved []int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		moved = moved[:0]
		rows, err := tx.Query(ctx, `
			SELECT order_number, traceparent, tracestate FROM orders
			WHERE status = 'Submitted' AND created_at <= now() - $1::interval
			ORDER BY created_at, order_number
			LIMIT $2
			FOR UPDATE SKIP LOCKED`, gracePeriod, batch)
		if err != nil {
			return fmt.Errorf("claim submitted orders: %w", err)
		}
		orders, err := pgx.CollectRows(rows, pgx.RowToStructByPos[due])
		if err != nil {
			return fmt.Errorf("claim submitted orders: %w", err)
		}
		for _, d := range orders {
			if err := s.awaitValidation(ctx, tx, d.Number, causeHeaders(d.Traceparent, d.Tracestate)); err != nil {
				return err
			}
			moved = append(moved, d.Number)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}

// awaitValidation moves one claimed order, in the span that starts its new
// trace, linked to cause (the checkout's trace context).
func (s *Store) awaitValidation(ctx context.Context, tx pgx.Tx, number int64, cause map[string]string) (err error) {
	ctx, span := tracing.NewTrace(ctx, otel.Tracer(tracerName), "grace period over", cause)
	defer func() {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	// Locked by the claim; load does not need to lock again.
	o, err := load(ctx, tx, number, false)
	if err != nil {
		return err
	}
	if err := o.AwaitValidation(); err != nil {
		return err
	}
	return s.save(ctx, tx, o)
}

// tracerName is the instrumentation scope of the store's own spans.
const tracerName = "github.com/eshop-go/eshop-go/services/ordering/internal/postgres"

// causeHeaders is a stored trace context as W3C headers.
func causeHeaders(traceparent, tracestate *string) map[string]string {
	h := map[string]string{}
	if traceparent != nil {
		h[tracing.TraceparentHeader] = *traceparent
	}
	if tracestate != nil {
		h[tracing.TracestateHeader] = *tracestate
	}
	return h
}
