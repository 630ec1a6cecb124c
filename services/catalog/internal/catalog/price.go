package catalog

import "github.com/eshop-go/eshop-go/buildingblocks/money"

// PriceChange is an item's price going from OldPrice to NewPrice, which the
// catalog announces to the other services (ProductPriceChanged): the store
// saves it with the item, in the same transaction.
type PriceChange struct {
	ProductID int64
	OldPrice  money.Money
	NewPrice  money.Money
	// PriceVersion is the item's price version after the change.
	PriceVersion int64
}

// Update replaces the item with edit, all but its id and price version. A
// new price counts one more price version, and Update returns the
// PriceChange to announce; otherwise it returns nil.
func (it *Item) Update(edit Item) *PriceChange {
	before := *it
	*it = edit
	it.ID, it.PriceVersion = before.ID, before.PriceVersion
	if it.Price.Equal(before.Price) {
		return nil
	}
	it.PriceVersion++
	return &PriceChange{ProductID: it.ID, OldPrice: before.Price, NewPrice: it.Price, PriceVersion: it.PriceVersion}
}
