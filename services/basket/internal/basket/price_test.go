package basket_test

import (
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
)

func TestPriceChangeFollow(t *testing.T) {
	price := func(p string, version int64) basket.ProductPrice {
		return basket.ProductPrice{Price: money.MustParse(p), Version: version}
	}
	change := func(oldPrice, newPrice string, version int64) basket.PriceChange {
		return basket.PriceChange{ProductID: 7, OldPrice: money.MustParse(oldPrice), NewPrice: money.MustParse(newPrice), Version: version}
	}
	cases := []struct {
		name   string
		change basket.PriceChange
		known  basket.ProductPrice
		// what the decision must be
		latest      basket.ProductPrice
		below       int64
		unversioned bool
	}{
		{"first news of the product", change("10.00", "12.00", 2), basket.ProductPrice{}, price("12.00", 2), 2, false},
		{"in order", change("10.00", "12.00", 2), price("10.00", 1), price("12.00", 2), 2, false},
		{"stale: a newer one is known", change("10.00", "12.00", 2), price("15.00", 3), price("15.00", 3), 3, false},
		{"duplicate", change("10.00", "12.00", 2), price("12.00", 2), price("12.00", 2), 2, false},
		{"versioned after unversioned ones", change("11.00", "12.00", 1), price("10.00", 0), price("12.00", 1), 1, false},
		{"unversioned", change("10.00", "12.00", 0), basket.ProductPrice{}, price("12.00", 0), 0, true},
		{"unversioned after unversioned", change("12.00", "13.00", 0), price("12.00", 0), price("13.00", 0), 0, true},
		{"unversioned after versioned", change("15.00", "16.00", 0), price("15.00", 3), price("15.00", 3), 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.change.Follow(c.known)
			if f.ProductID != 7 || !f.Latest.Price.Equal(c.latest.Price) || f.Latest.Version != c.latest.Version ||
				f.VersionBelow != c.below || f.Unversioned != c.unversioned || !f.From.Equal(c.change.OldPrice) {
				t.Fatalf("%+v, want latest %+v, lines below version %d or at %s follow (unversioned %v)",
					f, c.latest, c.below, c.change.OldPrice, c.unversioned)
			}
			// A versioned change moves the lines to the latest price and its
			// version; an unversioned one to its new price.
			if to := c.latest; !c.unversioned && (!f.To.Price.Equal(to.Price) || f.To.Version != to.Version) ||
				c.unversioned && !f.To.Price.Equal(c.change.NewPrice) {
				t.Fatalf("lines go to %+v", f.To)
			}
		})
	}
}
