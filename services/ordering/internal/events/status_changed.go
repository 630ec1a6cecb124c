package events

import (
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/google/uuid"
)

// OrderStatusChanged is the payload every OrderStatusChangedTo… event has.
// OrderGUID is the order's uuid, unique across ordering's databases
// where OrderID is not: catalog keeps the order's reservation under it.
type OrderStatusChanged struct {
	eventbus.IntegrationEvent
	OrderID           int64     `json:"OrderId"`
	OrderGUID         uuid.UUID `json:"OrderGuid"`
	OrderStatus       string    `json:"OrderStatus"`
	BuyerName         string    `json:"BuyerName"`
	BuyerIdentityGUID string    `json:"BuyerIdentityGuid"`
}

// OrderStockItem is a product and its units, as catalog makes their
// reservation final.
type OrderStockItem struct {
	ProductID int64 `json:"ProductId"`
	Units     int   `json:"Units"`
}

// PricedOrderStockItem is a product, its units and their unit price, as
// catalog reserves them: only at its current price (docs/events.md flow 4).
type PricedOrderStockItem struct {
	OrderStockItem
	UnitPrice money.Money `json:"UnitPrice"`
}

// OrderStatusChangedToSubmittedIntegrationEvent announces a new order.
type OrderStatusChangedToSubmittedIntegrationEvent struct{ OrderStatusChanged }

// EventName names the event on the wire.
func (OrderStatusChangedToSubmittedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToSubmittedIntegrationEvent"
}

// OrderStatusChangedToAwaitingValidationIntegrationEvent asks catalog to
// reserve the order's stock, at the unit prices of its lines.
type OrderStatusChangedToAwaitingValidationIntegrationEvent struct {
	OrderStatusChanged
	OrderStockItems []PricedOrderStockItem `json:"OrderStockItems"`
}

// EventName names the event on the wire.
func (OrderStatusChangedToAwaitingValidationIntegrationEvent) EventName() string {
	return "OrderStatusChangedToAwaitingValidationIntegrationEvent"
}

// OrderStatusChangedToStockConfirmedIntegrationEvent asks payment to charge
// the order: Total, to the card sealed in PaymentToken.
type OrderStatusChangedToStockConfirmedIntegrationEvent struct {
	OrderStatusChanged
	PaymentToken string      `json:"PaymentToken"`
	Total        money.Money `json:"Total"`
}

// EventName names the event on the wire.
func (OrderStatusChangedToStockConfirmedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToStockConfirmedIntegrationEvent"
}

// OrderStatusChangedToPaidIntegrationEvent tells catalog to make the
// order's reservation final.
type OrderStatusChangedToPaidIntegrationEvent struct {
	OrderStatusChanged
	OrderStockItems []OrderStockItem `json:"OrderStockItems"`
}

// EventName names the event on the wire.
func (OrderStatusChangedToPaidIntegrationEvent) EventName() string {
	return "OrderStatusChangedToPaidIntegrationEvent"
}

// OrderStatusChangedToShippedIntegrationEvent announces a shipped order.
type OrderStatusChangedToShippedIntegrationEvent struct{ OrderStatusChanged }

// EventName names the event on the wire.
func (OrderStatusChangedToShippedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToShippedIntegrationEvent"
}

// OrderStatusChangedToCancelledIntegrationEvent tells catalog to release
// the order's reservation, if it has one.
type OrderStatusChangedToCancelledIntegrationEvent struct{ OrderStatusChanged }

// EventName names the event on the wire.
func (OrderStatusChangedToCancelledIntegrationEvent) EventName() string {
	return "OrderStatusChangedToCancelledIntegrationEvent"
}

// StatusEvent returns the integration event that announces a status
// change, with a fresh id. The store puts it in the outbox with the change.
func StatusEvent(c ordering.StatusChange) eventbus.Event {
	base := OrderStatusChanged{
		IntegrationEvent:  eventbus.NewIntegrationEvent(),
		OrderID:           c.OrderNumber,
		OrderGUID:         c.OrderGUID,
		OrderStatus:       string(c.Status),
		BuyerName:         c.BuyerName,
		BuyerIdentityGUID: c.BuyerID,
	}
	switch c.Status {
	case ordering.Submitted:
		return OrderStatusChangedToSubmittedIntegrationEvent{base}
	case ordering.AwaitingValidation:
		return OrderStatusChangedToAwaitingValidationIntegrationEvent{base, pricedStockItems(c.StockItems)}
	case ordering.StockConfirmed:
		return OrderStatusChangedToStockConfirmedIntegrationEvent{base, c.PaymentToken, c.Total}
	case ordering.Paid:
		return OrderStatusChangedToPaidIntegrationEvent{base, stockItems(c.StockItems)}
	case ordering.Shipped:
		return OrderStatusChangedToShippedIntegrationEvent{base}
	case ordering.Cancelled:
		return OrderStatusChangedToCancelledIntegrationEvent{base}
	}
	// The domain has no other status; a new one must get its event here.
	panic("events: no integration event for status " + string(c.Status))
}

func stockItems(items []ordering.StockItem) []OrderStockItem {
	out := make([]OrderStockItem, len(items))
	for i, it := range items {
		out[i] = OrderStockItem{ProductID: it.ProductID, Units: it.Units}
	}
	return out
}

func pricedStockItems(items []ordering.StockItem) []PricedOrderStockItem {
	out := make([]PricedOrderStockItem, len(items))
	for i, it := range items {
		out[i] = PricedOrderStockItem{OrderStockItem{ProductID: it.ProductID, Units: it.Units}, it.UnitPrice}
	}
	return out
}
