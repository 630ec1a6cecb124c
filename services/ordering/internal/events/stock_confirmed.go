package events

import (
	"context"

	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/jackc/pgx/v5"
)

// OrderStockConfirmedIntegrationEvent is catalog's answer when it reserved
// the stock of every line of the order.
type OrderStockConfirmedIntegrationEvent struct{ OrderAnswer }

// EventName names the event on the wire.
func (OrderStockConfirmedIntegrationEvent) EventName() string {
	return "OrderStockConfirmedIntegrationEvent"
}

// ConfirmStock moves the order to StockConfirmed, which asks payment to
// charge it.
func (h *Handlers) ConfirmStock(ctx context.Context, tx pgx.Tx, e OrderStockConfirmedIntegrationEvent) error {
	return h.change(ctx, tx, e, e.OrderID, (*ordering.Order).ConfirmStock)
}
