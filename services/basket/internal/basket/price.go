package basket

import (
	"errors"
	"fmt"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

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

// Validate reports a change no catalog would send: such an event is refused
// (and, after the retries, parked in the dead-letter queue) rather than
// applied.
func (c PriceChange) Validate() error {
	switch {
	case c.ProductID <= 0:
		return fmt.Errorf("%w: product id %d", ErrInvalidPriceChange, c.ProductID)
	case c.Version < 0:
		return fmt.Errorf("%w: price version %d", ErrInvalidPriceChange, c.Version)
	}
	for _, p := range []money.Money{c.OldPrice, c.NewPrice} {
		if p.IsNegative() || p.Cmp(MaxUnitPrice) > 0 || !p.HasCents() {
			return fmt.Errorf("%w: price %s is not an amount from 0 to %s with at most 2 decimals", ErrInvalidPriceChange, p.Decimal(), MaxUnitPrice)
		}
	}
	return nil
}

// ErrInvalidPriceChange is the error of a price change that fails Validate.
var ErrInvalidPriceChange = errors.New("basket: invalid price change")
