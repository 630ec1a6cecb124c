package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/jackc/pgx/v5"
)

// OrderStatusChangedToAwaitingValidationIntegrationEvent asks the catalog to reserve the
// stock of an order, at the unit prices of its lines.
type OrderStatusChangedToAwaitingValidationIntegrationEvent struct {
	OrderStatusChanged
	OrderStockItems []PricedOrderStockItem `json:"OrderStockItems"`
}

// EventName is the routing key.
func (OrderStatusChangedToAwaitingValidationIntegrationEvent) EventName() string {
	return "OrderStatusChangedToAwaitingValidationIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStatusChangedToAwaitingValidationIntegrationEvent) Publisher() string { return "ordering" }

// ReserveStock reserves every line of the order or none, and answers
// OrderStockConfirmedIntegrationEvent or OrderStockRejectedIntegrationEvent (with HasStock
// and PriceMatches per product) through the outbox, in the transaction of
// the reservation. It reserves only when every product has the stock, at
// the unit price the order's lines name (docs/events.md flow 4).
//
// An order ordering could not have sent (catalog.ValidateOrder: no lines,
// a line without units or with a negative one, a line without its unit
// price…) is an eventbus.ErrInvalidEvent, refused before anything is
// claimed or reserved.
//
// An order cancelled before this event arrived has a "released" mark: then
// nothing is reserved and nothing is answered, since ordering has already
// cancelled the order and needs no answer. A repeated request for an order
// already reserved (a new event, not a redelivery, which the inbox drops) is
// answered Confirmed again without reserving twice.
func (h *Handlers) ReserveStock(ctx context.Context, tx pgx.Tx, e OrderStatusChangedToAwaitingValidationIntegrationEvent) error {
	lines, err := pricedOrderLines(e.OrderID, e.OrderStockItems)
	if err != nil {
		return eventbus.Invalid(e, err)
	}
	r, err := h.Stock.ReserveStock(ctx, tx, e.order(), lines)
	if err != nil {
		return err
	}
	switch r.Outcome {
	case catalog.Confirmed:
		h.Logger.InfoContext(ctx, "stock reserved", "order_id", e.OrderID, "event_id", e.ID)
		return outbox.Add(ctx, tx, OrderStockConfirmedIntegrationEvent{IntegrationEvent: eventbus.NewIntegrationEvent(),
			OrderID: e.OrderID, OrderGUID: e.orderGUID()})
	case catalog.Rejected:
		h.Logger.InfoContext(ctx, "stock rejected", "order_id", e.OrderID, "event_id", e.ID)
		return outbox.Add(ctx, tx, newOrderStockRejected(e.OrderStatusChanged, r.Lines))
	default:
		h.Logger.InfoContext(ctx, "order cancelled before its stock was reserved; nothing reserved", "order_id", e.OrderID, "event_id", e.ID)
		return nil
	}
}
