package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/jackc/pgx/v5"
)

// OrderStockRejectedIntegrationEvent is catalog's answer when some line of
// the order lacks stock (and nothing was reserved).
type OrderStockRejectedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID         int64                     `json:"OrderId"`
	OrderStockItems []ConfirmedOrderStockItem `json:"OrderStockItems"`
}

// ConfirmedOrderStockItem tells whether catalog has the stock of a product.
type ConfirmedOrderStockItem struct {
	ProductID int  `json:"ProductId"`
	HasStock  bool `json:"HasStock"`
}

// EventName names the event on the wire.
func (OrderStockRejectedIntegrationEvent) EventName() string {
	return "OrderStockRejectedIntegrationEvent"
}

// RejectStock cancels the order, naming the products without stock.
func (h *Handlers) RejectStock(ctx context.Context, tx pgx.Tx, e OrderStockRejectedIntegrationEvent) error {
	var missing []int
	for _, it := range e.OrderStockItems {
		if !it.HasStock {
			missing = append(missing, it.ProductID)
		}
	}
	return h.change(ctx, tx, e, e.OrderID, func(o *ordering.Order) error { return o.RejectStock(missing) })
}
