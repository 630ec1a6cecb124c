package events

import "github.com/eshop-go/eshop-go/buildingblocks/eventbus"

// OrderStartedIntegrationEvent tells basket that the buyer's checkout became
// an order, so that it deletes the basket.
type OrderStartedIntegrationEvent struct {
	eventbus.IntegrationEvent
	UserID string `json:"UserId"`
}

// EventName names the event on the wire.
func (OrderStartedIntegrationEvent) EventName() string { return "OrderStartedIntegrationEvent" }
