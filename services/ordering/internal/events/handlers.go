package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Orders is what the handlers need of the store.
type Orders interface {
	// Create saves a new order in tx with its status events, or returns
	// false when its request id made an order already.
	Create(ctx context.Context, tx pgx.Tx, o *ordering.Order) (bool, error)
	// ChangeTx applies change to order number in tx and saves it with its
	// status events.
	ChangeTx(ctx context.Context, tx pgx.Tx, number int64, change func(*ordering.Order) error) (*ordering.Order, error)
}

// Handlers handle the events ordering consumes.
type Handlers struct {
	Orders Orders
	Logger *slog.Logger
}

// Subscription subscribes one handler to a bus.
type Subscription func(ctx context.Context, bus eventbus.Subscriber) (eventbus.Subscription, error)

// Subscriptions returns one Subscription per event ordering handles, each
// handler running through the inbox of pool. The caller makes each once
// (a retried start goes on with the ones still missing).
func Subscriptions(pool *pgxpool.Pool, h *Handlers) []Subscription {
	return []Subscription{
		func(ctx context.Context, bus eventbus.Subscriber) (eventbus.Subscription, error) {
			return eventbus.Subscribe(ctx, bus, inbox.Handler(pool, "ordering.create_order", h.CreateOrder))
		},
		func(ctx context.Context, bus eventbus.Subscriber) (eventbus.Subscription, error) {
			return eventbus.Subscribe(ctx, bus, inbox.Handler(pool, "ordering.confirm_stock", h.ConfirmStock))
		},
		func(ctx context.Context, bus eventbus.Subscriber) (eventbus.Subscription, error) {
			return eventbus.Subscribe(ctx, bus, inbox.Handler(pool, "ordering.reject_stock", h.RejectStock))
		},
		func(ctx context.Context, bus eventbus.Subscriber) (eventbus.Subscription, error) {
			return eventbus.Subscribe(ctx, bus, inbox.Handler(pool, "ordering.confirm_payment", h.ConfirmPayment))
		},
		func(ctx context.Context, bus eventbus.Subscriber) (eventbus.Subscription, error) {
			return eventbus.Subscribe(ctx, bus, inbox.Handler(pool, "ordering.fail_payment", h.FailPayment))
		},
	}
}

// change applies a status command to an order for the event e. A command
// that comes too late for the order's status, or an order that does not
// exist, is logged and acknowledged: a retry could never succeed.
func (h *Handlers) change(ctx context.Context, tx pgx.Tx, e eventbus.Event, orderNumber int64, command func(*ordering.Order) error) error {
	o, err := h.Orders.ChangeTx(ctx, tx, orderNumber, command)
	switch {
	case errors.Is(err, ordering.ErrIllegalTransition):
		h.logger().InfoContext(ctx, "event ignored: late or duplicate for the order's status",
			"event", e.EventName(), "event_id", e.EventID(), "order", orderNumber, "reason", err.Error())
		return nil
	case errors.Is(err, ordering.ErrNotFound):
		h.logger().WarnContext(ctx, "event ignored: no such order",
			"event", e.EventName(), "event_id", e.EventID(), "order", orderNumber)
		return nil
	case err != nil:
		return fmt.Errorf("%s %s for order %d: %w", e.EventName(), e.EventID(), orderNumber, err)
	}
	h.logger().InfoContext(ctx, "order status changed", "event", e.EventName(), "order", orderNumber, "status", o.Status)
	return nil
}

func (h *Handlers) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}
