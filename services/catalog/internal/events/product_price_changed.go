package events

import (
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
)

// ProductPriceChangedIntegrationEvent tells that an item's price changed. The basket moves
// the lines that still show OldPrice to NewPrice.
type ProductPriceChangedIntegrationEvent struct {
	eventbus.IntegrationEvent
	ProductID int64       `json:"ProductId"`
	NewPrice  money.Money `json:"NewPrice"`
	OldPrice  money.Money `json:"OldPrice"`
	// PriceVersion grows by one with each price change of the product, so a
	// consumer can drop an event older than one it already applied. It is
	// an addition to the eShop contract; consumers that ignore it still work.
	PriceVersion int64 `json:"PriceVersion"`
}

// EventName is the routing key.
func (ProductPriceChangedIntegrationEvent) EventName() string {
	return "ProductPriceChangedIntegrationEvent"
}

// PriceChangeEvent returns the event that announces a price change, with a
// fresh id. The store puts it in the outbox with the change.
func PriceChangeEvent(c catalog.PriceChange) eventbus.Event {
	return ProductPriceChangedIntegrationEvent{
		IntegrationEvent: eventbus.NewIntegrationEvent(),
		ProductID:        c.ProductID,
		NewPrice:         c.NewPrice,
		OldPrice:         c.OldPrice,
		PriceVersion:     c.PriceVersion,
	}
}
