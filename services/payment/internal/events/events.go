// Package events holds payment's integration events: the request it
// consumes from ordering and the two answers it publishes, and the handler
// that answers.
package events

import "github.com/eshop-go/eshop-go/buildingblocks/eventbus"

// OrderStatusChangedToStockConfirmedIntegrationEvent is ordering's request
// to charge an order whose stock catalog reserved.
type OrderStatusChangedToStockConfirmedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID           int64  `json:"OrderId"`
	OrderStatus       string `json:"OrderStatus"`
	BuyerName         string `json:"BuyerName"`
	BuyerIdentityGUID string `json:"BuyerIdentityGuid"`
}

// EventName names the event on the wire.
func (OrderStatusChangedToStockConfirmedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToStockConfirmedIntegrationEvent"
}

// OrderPaymentSucceededIntegrationEvent tells ordering the order was charged.
type OrderPaymentSucceededIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID int64 `json:"OrderId"`
}

// EventName names the event on the wire.
func (OrderPaymentSucceededIntegrationEvent) EventName() string {
	return "OrderPaymentSucceededIntegrationEvent"
}

// OrderPaymentFailedIntegrationEvent tells ordering the charge failed.
type OrderPaymentFailedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID int64 `json:"OrderId"`
}

// EventName names the event on the wire.
func (OrderPaymentFailedIntegrationEvent) EventName() string {
	return "OrderPaymentFailedIntegrationEvent"
}
