package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/jackc/pgx/v5"
)

// OrderStatusChangedToPaidIntegrationEvent tells that an order was paid: its reserved stock
// is sold.
type OrderStatusChangedToPaidIntegrationEvent struct {
	OrderStatusChanged
	OrderStockItems []OrderStockItem `json:"OrderStockItems"`
}

// EventName is the routing key.
func (OrderStatusChangedToPaidIntegrationEvent) EventName() string {
	return "OrderStatusChangedToPaidIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStatusChangedToPaidIntegrationEvent) Publisher() string { return "ordering" }

// FinalizeStock makes the order's reservation final, so that a later cancel
// cannot give its units back. The stock was already taken when it was
// reserved, so nothing else changes. An event ordering could not have
// sent (catalog.ValidateOrder) is an eventbus.ErrInvalidEvent.
func (h *Handlers) FinalizeStock(ctx context.Context, tx pgx.Tx, e OrderStatusChangedToPaidIntegrationEvent) error {
	if _, err := orderLines(e.OrderID, e.OrderStockItems); err != nil {
		return eventbus.Invalid(e, err)
	}
	finalized, err := h.Stock.FinalizeReservation(ctx, tx, e.order())
	if err != nil {
		return err
	}
	if !finalized {
		h.Logger.WarnContext(ctx, "paid order has no open reservation", "order_id", e.OrderID, "event_id", e.ID)
		return nil
	}
	h.Logger.InfoContext(ctx, "reservation final", "order_id", e.OrderID, "event_id", e.ID)
	return nil
}
