package basket

import (
	"errors"
	"fmt"
	"math"

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

// MaxPriceVersion bounds a change's price version. Catalog counts one
// version per price change of a product, so no real change comes near it;
// a version beyond it is forged or corrupt, and applied it would pin the
// product's latest price for good (every later, real change would look
// stale).
const MaxPriceVersion = 1<<31 - 1

// Validate reports a change no catalog would send (docs/events.md, "Validating
// what arrives"): a product id out of int32's range, a price that is not positive,
// above MaxUnitPrice or with more than 2 decimals, a price version out of
// 1..MaxPriceVersion (0 is a change without one). Such an event is
// refused before it has any effect.
func (c PriceChange) Validate() error {
	switch {
	case c.ProductID <= 0 || c.ProductID > math.MaxInt32: // catalog's ids are PostgreSQL integers
		return fmt.Errorf("%w: product id %d is not from 1 to %d", ErrInvalidPriceChange, c.ProductID, math.MaxInt32)
	case c.Version < 0 || c.Version > MaxPriceVersion:
		return fmt.Errorf("%w: price version %d is not from 1 to %d", ErrInvalidPriceChange, c.Version, MaxPriceVersion)
	}
	for _, p := range []money.Money{c.OldPrice, c.NewPrice} {
		if !p.IsPositive() || p.Cmp(MaxUnitPrice) > 0 || !p.HasCents() {
			return fmt.Errorf("%w: price %s is not an amount above 0 and up to %s with at most 2 decimals", ErrInvalidPriceChange, p.Decimal(), MaxUnitPrice)
		}
	}
	return nil
}

// ErrInvalidPriceChange is the error of a price change that fails Validate.
var ErrInvalidPriceChange = errors.New("basket: invalid price change")

// ProductPrice is a product's catalog price as the basket last heard of it,
// its price version (0 when it came without one), and the price before it.
// The zero ProductPrice is a product the basket has heard nothing of.
type ProductPrice struct {
	Price   money.Money
	Version int64
	// OldPrice is the catalog price just before Price: the OldPrice of the
	// change that made Price the latest. Nil when the basket does not know
	// it: a price it kept before it began to record the price before.
	OldPrice *money.Money
}

// Equal reports whether p and q are the same price, version and price
// before.
func (p ProductPrice) Equal(q ProductPrice) bool {
	return p.Price.Equal(q.Price) && p.Version == q.Version &&
		(p.OldPrice == nil) == (q.OldPrice == nil) && (p.OldPrice == nil || p.OldPrice.Equal(*q.OldPrice))
}

// String writes p as "price vN (was old)", "-" for an unknown old price.
func (p ProductPrice) String() string {
	old := "-"
	if p.OldPrice != nil {
		old = p.OldPrice.String()
	}
	return fmt.Sprintf("%s v%d (was %s)", p.Price, p.Version, old)
}

// PriceFollow is what a price change does to the basket: the product's
// latest known price after it, and which of the product's lines follow it,
// to what. [PriceChange.Follow] decides it; the store applies it to every
// line of the product at once.
//
// A line has a catalog version when its unit price is known to be that
// catalog price: it was put at the latest price the basket knew, or it
// followed a versioned change. A price the buyer set that never was a
// catalog price has none.
type PriceFollow struct {
	ProductID int64
	// Latest is the product's latest known price after the change. The
	// store keeps it, and marks a line put at that price later with its
	// version, so that the line follows the next changes.
	Latest ProductPrice
	// The lines that follow: those with a catalog version below
	// VersionBelow, and those at the unit price From that have no catalog
	// version, or any when Unversioned.
	VersionBelow int64
	From         money.Money
	// To is where they go. Their unit price becomes To.Price, and their
	// old unit price To.OldPrice, the catalog price just before it, the
	// same whatever the order the changes arrived in. When To.OldPrice is
	// nil (a change without a version, or a latest price kept before the
	// basket began to record the price before) the price a line had becomes
	// its old unit price, when it differs: the plain eShop rule. Their
	// catalog version becomes To.Version, unless Unversioned.
	To ProductPrice
	// Unversioned is a change without a version: the plain eShop rule,
	// lines at From go to To.Price whatever their catalog version, and keep
	// it.
	Unversioned bool
}

// Follow decides what the change does to the basket, given the product's
// latest price known before it (the zero ProductPrice when none is).
//
// A versioned change makes the latest price the higher-versioned of the
// known one and its own; the lines behind that version (or without one and
// still at the change's old price) go to it, and show the price before it
// as their old one (docs/events.md flow 1: after 50 → 51 → … → 55, arriving in
// any order, a line shows 55, was 54). So lines end at the price catalog
// committed last whatever the order the changes arrive in, a duplicate or
// stale change moves nothing, and a price the buyer set is left alone.
//
// A change without a version applies the plain eShop rule. It becomes the
// latest known price only while no versioned change was seen, so that the
// known price never goes back behind a versioned one.
func (c PriceChange) Follow(known ProductPrice) PriceFollow {
	latest := known
	if c.Version == 0 {
		if known.Version == 0 {
			latest = ProductPrice{Price: c.NewPrice, OldPrice: &c.OldPrice}
		}
		return PriceFollow{ProductID: c.ProductID, Latest: latest, From: c.OldPrice,
			To: ProductPrice{Price: c.NewPrice}, Unversioned: true}
	}
	if c.Version > known.Version {
		latest = ProductPrice{Price: c.NewPrice, Version: c.Version, OldPrice: &c.OldPrice}
	}
	return PriceFollow{ProductID: c.ProductID, Latest: latest, VersionBelow: latest.Version, From: c.OldPrice, To: latest}
}
