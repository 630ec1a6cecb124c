package events

import (
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/google/uuid"
)

// OrderStockConfirmedIntegrationEvent tells ordering that every line of the order is
// reserved. OrderGUID names the order as the request did (nil when it did
// not), so that ordering can tell its order from another of the same
// number.
type OrderStockConfirmedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID   int64      `json:"OrderId"`
	OrderGUID *uuid.UUID `json:"OrderGuid,omitempty"`
}

// EventName is the routing key.
func (OrderStockConfirmedIntegrationEvent) EventName() string {
	return "OrderStockConfirmedIntegrationEvent"
}

// OrderStockRejectedIntegrationEvent tells ordering that some product of the order lacks
// stock or is not at the order's unit price, and nothing was reserved.
type OrderStockRejectedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID         int64                 `json:"OrderId"`
	OrderGUID       *uuid.UUID            `json:"OrderGuid,omitempty"`
	OrderStockItems []ConfirmedOrderStock `json:"OrderStockItems"`
}

// ConfirmedOrderStock says whether one product of the order has stock, and
// whether the order's lines of it are at its current price.
type ConfirmedOrderStock struct {
	ProductID    int64 `json:"ProductId"`
	HasStock     bool  `json:"HasStock"`
	PriceMatches bool  `json:"PriceMatches"`
}

// EventName is the routing key.
func (OrderStockRejectedIntegrationEvent) EventName() string {
	return "OrderStockRejectedIntegrationEvent"
}

func newOrderStockRejected(request OrderStatusChanged, lines []catalog.LineStock) OrderStockRejectedIntegrationEvent {
	items := make([]ConfirmedOrderStock, len(lines))
	for i, l := range lines {
		items[i] = ConfirmedOrderStock{ProductID: l.ProductID, HasStock: l.HasStock, PriceMatches: l.PriceMatches}
	}
	return OrderStockRejectedIntegrationEvent{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: request.OrderID,
		OrderGUID: request.orderGUID(), OrderStockItems: items}
}
