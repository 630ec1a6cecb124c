package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// OrderStatusChangedToCancelledIntegrationEvent is an order cancelled by its buyer, a stock rejection or a failed payment.
type OrderStatusChangedToCancelledIntegrationEvent struct {
	eventbus.IntegrationEvent
	orderStatusChange
}

// EventName is the routing key.
func (OrderStatusChangedToCancelledIntegrationEvent) EventName() string {
	return "OrderStatusChangedToCancelledIntegrationEvent"
}

// Cancelled shows the order Cancelled on its buyer's open pages.
func (h *Handlers) Cancelled(_ context.Context, e OrderStatusChangedToCancelledIntegrationEvent) error {
	return h.show(e, e.orderStatusChange, "Cancelled")
}
