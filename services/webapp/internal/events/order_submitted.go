package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// OrderStatusChangedToSubmittedIntegrationEvent is a new order: the buyer's list of orders shows it.
type OrderStatusChangedToSubmittedIntegrationEvent struct {
	eventbus.IntegrationEvent
	orderStatusChange
}

// EventName is the routing key.
func (OrderStatusChangedToSubmittedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToSubmittedIntegrationEvent"
}

// Submitted shows the order Submitted on its buyer's open pages.
func (h *Handlers) Submitted(_ context.Context, e OrderStatusChangedToSubmittedIntegrationEvent) error {
	return h.show(e, e.orderStatusChange, "Submitted")
}
