package basket

import "github.com/eshop-go/eshop-go/buildingblocks/money"

// PriceChange is catalog's news that a product's price changed from OldPrice
// to NewPrice.
//
// Version is catalog's per-product price counter (1, 2, 3… for the
// successive prices of one product). It lets the basket tell the latest
// price from a stale one when events arrive out of order. Zero means the
// publisher does not send it; the change then applies the plain eShop rule:
// lines at OldPrice move to NewPrice.
type PriceChange struct {
	ProductID int64
	OldPrice  money.Money
	NewPrice  money.Money
	Version   int64
}

// Versioned reports whether the change carries a price version.
func (c PriceChange) Versioned() bool { return c.Version > 0 }
