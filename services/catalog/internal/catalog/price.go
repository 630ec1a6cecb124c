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

// Update replaces the item with edit, all but its id and versions, when
// edit.Version is the item's version, and returns ErrStale when it is not:
// an edit based on an older read would put back what changed since (a
// newer price, the stock that orders reserved). A new price counts one
// more price version, and Update returns the PriceChange to announce;
// otherwise it returns nil.
func (it *Item) Update(edit Item) (*PriceChange, error) {
	if edit.Version != it.Version {
		return nil, ErrStale
	}
	before := *it
	*it = edit
	it.ID, it.PriceVersion, it.Version = before.ID, before.PriceVersion, before.Version
	if it.Price.Equal(before.Price) {
		return nil, nil
	}
	it.PriceVersion++
	return &PriceChange{ProductID: it.ID, OldPrice: before.Price, NewPrice: it.Price, PriceVersion: it.PriceVersion}, nil
}
