package events

import "github.com/eshop-go/eshop-go/buildingblocks/eventbus"

// OrderPaymentSucceededIntegrationEvent tells ordering the order was charged.
type OrderPaymentSucceededIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID int64 `json:"OrderId"`
}

// EventName is the routing key.
func (OrderPaymentSucceededIntegrationEvent) EventName() string {
	return "OrderPaymentSucceededIntegrationEvent"
}

// OrderPaymentFailedIntegrationEvent tells ordering the charge failed.
type OrderPaymentFailedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID int64 `json:"OrderId"`
}

// EventName is the routing key.
func (OrderPaymentFailedIntegrationEvent) EventName() string {
	return "OrderPaymentFailedIntegrationEvent"
}
