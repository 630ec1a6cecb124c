package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// OrderStatusChangedToAwaitingValidationIntegrationEvent is an order that left its grace period: catalog is reserving its stock.
type OrderStatusChangedToAwaitingValidationIntegrationEvent struct {
	eventbus.IntegrationEvent
	orderStatusChange
}

// EventName is the routing key.
func (OrderStatusChangedToAwaitingValidationIntegrationEvent) EventName() string {
	return "OrderStatusChangedToAwaitingValidationIntegrationEvent"
}

// AwaitingValidation shows the order AwaitingValidation on its buyer's open pages.
func (h *Handlers) AwaitingValidation(_ context.Context, e OrderStatusChangedToAwaitingValidationIntegrationEvent) error {
	return h.show(e, e.orderStatusChange, "AwaitingValidation")
}
