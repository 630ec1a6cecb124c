package events

import "github.com/eshop-go/eshop-go/buildingblocks/eventbus"

// orderStatusChange is what the webapp reads of every
// OrderStatusChangedTo… event: the order and its buyer. The status is the
// event's name; OrderStatus, BuyerName and the rest are not read.
type orderStatusChange struct {
	eventbus.IntegrationEvent
	OrderID           int64  `json:"OrderId"`
	BuyerIdentityGUID string `json:"BuyerIdentityGuid"`
}

// statusChange returns the part of the event the webapp reads.
func (c orderStatusChange) statusChange() orderStatusChange { return c }

// OrderStatusChangedToSubmittedIntegrationEvent is a new order: the buyer's list of orders shows it.
type OrderStatusChangedToSubmittedIntegrationEvent struct{ orderStatusChange }

// EventName is the routing key.
func (OrderStatusChangedToSubmittedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToSubmittedIntegrationEvent"
}

// OrderStatusChangedToAwaitingValidationIntegrationEvent is an order that left its grace period: catalog is reserving its stock.
type OrderStatusChangedToAwaitingValidationIntegrationEvent struct{ orderStatusChange }

// EventName is the routing key.
func (OrderStatusChangedToAwaitingValidationIntegrationEvent) EventName() string {
	return "OrderStatusChangedToAwaitingValidationIntegrationEvent"
}

// OrderStatusChangedToPaidIntegrationEvent is an order payment charged.
type OrderStatusChangedToPaidIntegrationEvent struct{ orderStatusChange }

// EventName is the routing key.
func (OrderStatusChangedToPaidIntegrationEvent) EventName() string {
	return "OrderStatusChangedToPaidIntegrationEvent"
}

// OrderStatusChangedToShippedIntegrationEvent is an order that was shipped.
type OrderStatusChangedToShippedIntegrationEvent struct{ orderStatusChange }

// EventName is the routing key.
func (OrderStatusChangedToShippedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToShippedIntegrationEvent"
}

// OrderStatusChangedToCancelledIntegrationEvent is an order cancelled by its buyer, a stock rejection or a failed payment.
type OrderStatusChangedToCancelledIntegrationEvent struct{ orderStatusChange }

// EventName is the routing key.
func (OrderStatusChangedToCancelledIntegrationEvent) EventName() string {
	return "OrderStatusChangedToCancelledIntegrationEvent"
}
