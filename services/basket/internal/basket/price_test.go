package basket_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
)

func TestPriceChangeFollow(t *testing.T) {
	// price is a product price at version, after the price old ("" when
	// the price before is unknown).
	price := func(p string, version int64, old string) basket.ProductPrice {
		pp := basket.ProductPrice{Price: money.MustParse(p), Version: version}
		if old != "" {
			o := money.MustParse(old)
			pp.OldPrice = &o
		}
		return pp
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
		{"first news of the product", change("10.00", "12.00", 2), basket.ProductPrice{}, price("12.00", 2, "10.00"), 2, false},
		{"in order", change("10.00", "12.00", 2), price("10.00", 1, "9.00"), price("12.00", 2, "10.00"), 2, false},
		{"stale: a newer one is known", change("10.00", "12.00", 2), price("15.00", 3, "12.00"), price("15.00", 3, "12.00"), 3, false},
		{"stale: a newer one is known, not the price before it", change("10.00", "12.00", 2), price("15.00", 3, ""), price("15.00", 3, ""), 3, false},
		{"duplicate", change("10.00", "12.00", 2), price("12.00", 2, "10.00"), price("12.00", 2, "10.00"), 2, false},
		{"versioned after unversioned ones", change("11.00", "12.00", 1), price("10.00", 0, "9.00"), price("12.00", 1, "11.00"), 1, false},
		{"unversioned", change("10.00", "12.00", 0), basket.ProductPrice{}, price("12.00", 0, "10.00"), 0, true},
		{"unversioned after unversioned", change("12.00", "13.00", 0), price("12.00", 0, "10.00"), price("13.00", 0, "12.00"), 0, true},
		{"unversioned after versioned", change("15.00", "16.00", 0), price("15.00", 3, "12.00"), price("15.00", 3, "12.00"), 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.change.Follow(c.known)
			if f.ProductID != 7 || !f.Latest.Equal(c.latest) ||
				f.VersionBelow != c.below || f.Unversioned != c.unversioned || !f.From.Equal(c.change.OldPrice) {
				t.Fatalf("%+v (latest %s), want latest %s, lines below version %d or at %s follow (unversioned %v)",
					f, f.Latest, c.latest, c.below, c.change.OldPrice, c.unversioned)
			}
			// A versioned change moves the lines to the latest price, its
			// version and the price before it; an unversioned one to its
			// new price, each line's price becoming its old one.
			if !c.unversioned && !f.To.Equal(c.latest) ||
				c.unversioned && !f.To.Equal(basket.ProductPrice{Price: c.change.NewPrice}) {
				t.Fatalf("lines go to %s", f.To)
			}
		})
	}
}

// The catalog went 50 → 51 → 52 → 53 → 54 → 55 (versions 1 to 5) and the
// changes arrive in any order (a consumer crash, quick changes): every
// line at a catalog price ends at 55, was 54, the OldPrice of the newest
// change (docs/events.md flow 1), and the buyer's own price is left alone.
func TestPriceChangeFollowInAnyOrderEndsWasTheLastOldPrice(t *testing.T) {
	var changes []basket.PriceChange
	for v := range int64(5) {
		changes = append(changes, basket.PriceChange{ProductID: 7, Version: v + 1,
			OldPrice: money.FromCents(5000 + 100*v), NewPrice: money.FromCents(5100 + 100*v)})
	}
	for _, order := range testkit.Permutations(len(changes)) {
		// Lines put before the basket heard of the product: at the first
		// catalog price, at one it had later, at the buyer's own price.
		lines := []lineState{"50.00/-/-", "53.00/-/-", "8.00/-/-"}
		var known basket.ProductPrice
		for _, i := range order {
			f := changes[i].Follow(known)
			for j, l := range lines {
				lines[j] = follow(f, l)
			}
			known = f.Latest
		}
		want := []lineState{"55.00/54.00/v5", "55.00/54.00/v5", "8.00/-/-"}
		if !slices.Equal(lines, want) || !known.Equal(basket.ProductPrice{Price: changes[4].NewPrice, Version: 5, OldPrice: &changes[4].OldPrice}) {
			t.Errorf("changes in the order of versions %v: lines %v, latest %s; want %v at 55.00 v5", versions(changes, order), lines, known, want)
		}
	}
}

// lineState is a basket line as a price change sees it, written
// "unit/old/version": "12.00/10.00/v2", "8.00/-/-" (no old price, no
// catalog version).
type lineState string

// follow is what f does to a line, by the rule PriceFollow documents.
func follow(f basket.PriceFollow, l lineState) lineState {
	p := strings.Split(string(l), "/")
	unit, old, version := money.MustParse(p[0]), p[1], p[2]
	v, _ := strconv.ParseInt(strings.TrimPrefix(version, "v"), 10, 64)
	tracked := version != "-"
	if !(tracked && v < f.VersionBelow) && !(unit.Equal(f.From) && (!tracked || f.Unversioned)) {
		return l
	}
	switch {
	case f.To.OldPrice != nil:
		old = f.To.OldPrice.String()
	case !unit.Equal(f.To.Price):
		old = unit.String()
	}
	if !f.Unversioned {
		version = fmt.Sprintf("v%d", f.To.Version)
	}
	return lineState(f.To.Price.String() + "/" + old + "/" + version)
}

func versions(changes []basket.PriceChange, order []int) []int64 {
	out := make([]int64, len(order))
	for i, j := range order {
		out[i] = changes[j].Version
	}
	return out
}
