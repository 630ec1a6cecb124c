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

// The OrderStatusChangedTo… events the webapp consumes, a type per name on
// the wire.
type (
	// OrderStatusChangedToSubmittedIntegrationEvent is a new order: the buyer's list of orders shows it.
	OrderStatusChangedToSubmittedIntegrationEvent struct{ orderStatusChange }
	// OrderStatusChangedToAwaitingValidationIntegrationEvent is an order that left its grace period: catalog is reserving its stock.
	OrderStatusChangedToAwaitingValidationIntegrationEvent struct{ orderStatusChange }
	// OrderStatusChangedToPaidIntegrationEvent is an order payment charged.
	OrderStatusChangedToPaidIntegrationEvent struct{ orderStatusChange }
	// OrderStatusChangedToShippedIntegrationEvent is an order that was shipped.
	OrderStatusChangedToShippedIntegrationEvent struct{ orderStatusChange }
	// OrderStatusChangedToCancelledIntegrationEvent is an order cancelled by its buyer, a stock rejection or a failed payment.
	OrderStatusChangedToCancelledIntegrationEvent struct{ orderStatusChange }
)

// EventName is the routing key.
func (OrderStatusChangedToSubmittedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToSubmittedIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStatusChangedToSubmittedIntegrationEvent) Publisher() string { return "ordering" }

// EventName is the routing key.
func (OrderStatusChangedToAwaitingValidationIntegrationEvent) EventName() string {
	return "OrderStatusChangedToAwaitingValidationIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStatusChangedToAwaitingValidationIntegrationEvent) Publisher() string { return "ordering" }

// EventName is the routing key.
func (OrderStatusChangedToPaidIntegrationEvent) EventName() string {
	return "OrderStatusChangedToPaidIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStatusChangedToPaidIntegrationEvent) Publisher() string { return "ordering" }

// EventName is the routing key.
func (OrderStatusChangedToShippedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToShippedIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStatusChangedToShippedIntegrationEvent) Publisher() string { return "ordering" }

// EventName is the routing key.
func (OrderStatusChangedToCancelledIntegrationEvent) EventName() string {
	return "OrderStatusChangedToCancelledIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStatusChangedToCancelledIntegrationEvent) Publisher() string { return "ordering" }
