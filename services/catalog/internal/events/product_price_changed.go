package events

import (
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
)

// ProductPriceChanged tells that an item's price changed. The basket moves
// the lines that still show OldPrice to NewPrice.
type ProductPriceChanged struct {
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
func (ProductPriceChanged) EventName() string { return "ProductPriceChangedIntegrationEvent" }

// NewProductPriceChanged returns the event for an item whose price went from
// before.Price to after.Price.
func NewProductPriceChanged(before, after catalog.Item) ProductPriceChanged {
	return ProductPriceChanged{
		IntegrationEvent: eventbus.NewIntegrationEvent(),
		ProductID:        after.ID,
		NewPrice:         after.Price,
		OldPrice:         before.Price,
		PriceVersion:     after.PriceVersion,
	}
}
