package testkit

import "github.com/eshop-go/eshop-go/buildingblocks/eventbus"

// PriceChanged is a typed integration event as a consuming service would
// declare it, for the tests of the building blocks.
type PriceChanged struct {
	eventbus.IntegrationEvent
	ProductID int64 `json:"ProductId"`
}

// EventName names the event on the wire.
func (PriceChanged) EventName() string { return "ProductPriceChangedIntegrationEvent" }

// Publisher names the service that publishes it.
func (PriceChanged) Publisher() string { return "catalog" }
