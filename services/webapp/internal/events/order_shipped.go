package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// OrderStatusChangedToShippedIntegrationEvent is an order that was shipped.
type OrderStatusChangedToShippedIntegrationEvent struct {
	eventbus.IntegrationEvent
	orderStatusChange
}

// EventName is the routing key.
func (OrderStatusChangedToShippedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToShippedIntegrationEvent"
}

// Shipped shows the order Shipped on its buyer's open pages.
func (h *Handlers) Shipped(_ context.Context, e OrderStatusChangedToShippedIntegrationEvent) error {
	return h.show(e, e.orderStatusChange, "Shipped")
}
