package events

import (
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
)

// OrderStockConfirmedIntegrationEvent tells ordering that every line of the order is
// reserved.
type OrderStockConfirmedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID int64 `json:"OrderId"`
}

// EventName is the routing key.
func (OrderStockConfirmedIntegrationEvent) EventName() string {
	return "OrderStockConfirmedIntegrationEvent"
}

// OrderStockRejectedIntegrationEvent tells ordering that some line of the order lacks stock
// and nothing was reserved.
type OrderStockRejectedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID         int64                 `json:"OrderId"`
	OrderStockItems []ConfirmedOrderStock `json:"OrderStockItems"`
}

// ConfirmedOrderStock says whether one product of the order has stock.
type ConfirmedOrderStock struct {
	ProductID int64 `json:"ProductId"`
	HasStock  bool  `json:"HasStock"`
}

// EventName is the routing key.
func (OrderStockRejectedIntegrationEvent) EventName() string {
	return "OrderStockRejectedIntegrationEvent"
}

func newOrderStockRejected(orderID int64, lines []catalog.LineStock) OrderStockRejectedIntegrationEvent {
	items := make([]ConfirmedOrderStock, len(lines))
	for i, l := range lines {
		items[i] = ConfirmedOrderStock{ProductID: l.ProductID, HasStock: l.HasStock}
	}
	return OrderStockRejectedIntegrationEvent{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: orderID, OrderStockItems: items}
}
