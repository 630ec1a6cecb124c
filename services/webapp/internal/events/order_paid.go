package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// OrderStatusChangedToPaidIntegrationEvent is an order payment charged.
type OrderStatusChangedToPaidIntegrationEvent struct {
	eventbus.IntegrationEvent
	orderStatusChange
}

// EventName is the routing key.
func (OrderStatusChangedToPaidIntegrationEvent) EventName() string {
	return "OrderStatusChangedToPaidIntegrationEvent"
}

// Paid shows the order Paid on its buyer's open pages.
func (h *Handlers) Paid(_ context.Context, e OrderStatusChangedToPaidIntegrationEvent) error {
	return h.show(e, e.orderStatusChange, "Paid")
}
