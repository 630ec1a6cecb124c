package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Orders is what the handlers need of the store.
type Orders interface {
	// Create saves a new order in tx with its status events, or returns
	// false when its request id made an order already.
	Create(ctx context.Context, tx pgx.Tx, o *ordering.Order) (bool, error)
	// CardTypeExists reports whether the shop accepts a card type.
	CardTypeExists(ctx context.Context, tx pgx.Tx, id int) (bool, error)
	// ChangeTx applies change to order number in tx and saves it with its
	// status events.
	ChangeTx(ctx context.Context, tx pgx.Tx, number int64, change func(*ordering.Order) error) (*ordering.Order, error)
}

// Handlers handle the events ordering consumes: CreateOrder a checkout
// (beside its event), and Answer, below, the answers of catalog and
// payment, each of which names its status command in its own file.
type Handlers struct {
	Orders Orders
	Logger *slog.Logger
}

// Routes lists a route per event ordering consumes, each handler running
// through the inbox of db. The inbox names must stay stable across
// releases: the inbox remembers which event each one has handled.
func (h *Handlers) Routes(db *pgxpool.Pool) []eventbus.Route {
	return []eventbus.Route{
		eventbus.On(inbox.Handler(db, "ordering.create_order", h.CreateOrder)),
		eventbus.On(inbox.Handler(db, "ordering.confirm_stock", Answer[OrderStockConfirmedIntegrationEvent](h))),
		eventbus.On(inbox.Handler(db, "ordering.reject_stock", Answer[OrderStockRejectedIntegrationEvent](h))),
		eventbus.On(inbox.Handler(db, "ordering.confirm_payment", Answer[OrderPaymentSucceededIntegrationEvent](h))),
		eventbus.On(inbox.Handler(db, "ordering.fail_payment", Answer[OrderPaymentFailedIntegrationEvent](h))),
	}
}

// OrderAnswer is what every answer ordering consumes from catalog and
// payment carries: the order it is about. Catalog names it by its uuid
// too (OrderGUID, nil from a publisher that does not send it).
type OrderAnswer struct {
	eventbus.IntegrationEvent
	OrderID   int64     `json:"OrderId"`
	OrderGUID uuid.UUID `json:"OrderGuid"`
}

// An answer is an event from catalog or payment about an order, which
// ordering applies to the order as the status command it stands for.
type answer interface {
	eventbus.Event
	orderNumber() int64
	orderGUID() uuid.UUID
	command(*ordering.Order) error
}

func (a OrderAnswer) orderNumber() int64 { return a.OrderID }

func (a OrderAnswer) orderGUID() uuid.UUID { return a.OrderGUID }

// errAnotherOrder is the outcome of an answer whose OrderGuid names
// another order than the one of its number: an order of a database that
// was recreated or restored since.
var errAnotherOrder = errors.New("the answer's OrderGuid is another order's")

// Answer returns the handler of the answer E: it applies E's status
// command to the order E names. An order number below 1 is no order's:
// the event is an eventbus.ErrInvalidEvent, refused before any effect. A
// command that comes too late for the order's status, or an order that
// does not exist, or an answer whose OrderGuid is not the order's (it was
// about another order of the same number, before ordering's database was
// recreated or restored), is logged and acknowledged: a retry could never
// succeed.
func Answer[E answer](h *Handlers) func(context.Context, pgx.Tx, E) error {
	return func(ctx context.Context, tx pgx.Tx, e E) error {
		orderNumber := e.orderNumber()
		if orderNumber <= 0 {
			return eventbus.Invalid(e, fmt.Errorf("OrderId %d is not above 0", orderNumber))
		}
		o, err := h.Orders.ChangeTx(ctx, tx, orderNumber, func(o *ordering.Order) error {
			if guid := e.orderGUID(); guid != uuid.Nil && guid != o.GUID {
				return errAnotherOrder
			}
			return e.command(o)
		})
		switch {
		case errors.Is(err, errAnotherOrder):
			h.Logger.WarnContext(ctx, "event ignored: about another order of the same number",
				"event", e.EventName(), "event_id", e.EventID(), "order", orderNumber, "order_guid", e.orderGUID())
			return nil
		case errors.Is(err, ordering.ErrIllegalTransition):
			h.Logger.InfoContext(ctx, "event ignored: late or duplicate for the order's status",
				"event", e.EventName(), "event_id", e.EventID(), "order", orderNumber, "reason", err.Error())
			return nil
		case errors.Is(err, ordering.ErrNotFound):
			h.Logger.WarnContext(ctx, "event ignored: no such order",
				"event", e.EventName(), "event_id", e.EventID(), "order", orderNumber)
			return nil
		case err != nil:
			return fmt.Errorf("%s %s for order %d: %w", e.EventName(), e.EventID(), orderNumber, err)
		}
		h.Logger.InfoContext(ctx, "order status changed", "event", e.EventName(), "order", orderNumber, "status", o.Status)
		return nil
	}
}
