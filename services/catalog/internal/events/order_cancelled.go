package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/jackc/pgx/v5"
)

// OrderStatusChangedToCancelledIntegrationEvent tells that an order was cancelled: its
// reserved stock goes back.
type OrderStatusChangedToCancelledIntegrationEvent struct {
	OrderStatusChanged
}

// EventName is the routing key.
func (OrderStatusChangedToCancelledIntegrationEvent) EventName() string {
	return "OrderStatusChangedToCancelledIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStatusChangedToCancelledIntegrationEvent) Publisher() string { return "ordering" }

// ReleaseStock gives the order's reserved units back, once. For an order
// not reserved yet it leaves a mark so that a late reservation request
// reserves nothing. An order id below 1 is an eventbus.ErrInvalidEvent.
func (h *Handlers) ReleaseStock(ctx context.Context, tx pgx.Tx, e OrderStatusChangedToCancelledIntegrationEvent) error {
	if err := catalog.ValidateOrder(e.OrderID, nil, false); err != nil {
		return eventbus.Invalid(e, err)
	}
	before, err := h.Stock.ReleaseReservation(ctx, tx, e.order())
	if err != nil {
		return err
	}
	switch before {
	case catalog.Reserved:
		h.Logger.InfoContext(ctx, "reservation released", "order_id", e.OrderID, "event_id", e.ID)
	case catalog.Final:
		h.Logger.WarnContext(ctx, "cancelled order was paid; its stock stays sold", "order_id", e.OrderID, "event_id", e.ID)
	case "":
		h.Logger.InfoContext(ctx, "order cancelled before any reservation; marked released", "order_id", e.OrderID, "event_id", e.ID)
	}
	return nil
}
