package catalog

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

// OrderLine is how many units of a product an order wants, at what unit
// price. UnitPrice is zero where the order's event carries none (Paid).
type OrderLine struct {
	ProductID int64
	Units     int
	UnitPrice money.Money
}

// MaxProductID is the largest product id: catalog_items.id is a PostgreSQL
// integer (int32).
const MaxProductID = math.MaxInt32

// MaxUnits is the most units an order line can want: stock and reserved
// units are PostgreSQL integers (int32).
const MaxUnits = math.MaxInt32

// ErrInvalidOrder is the error of an order event ordering could never have
// sent: it is refused before it has any effect.
var ErrInvalidOrder = errors.New("catalog: invalid order")

// ValidateOrder checks an order as ordering's events name it: an order id
// above 0 and, unless lines is nil (an event that carries none), at least
// one line, each with a product id from 1 to MaxProductID and units from 1
// to MaxUnits; when priced, each line's unit price is an amount with at most 2
// decimals, not negative (a price of 0 is no catalog price: it never
// matches, and the order is rejected, not lost).
func ValidateOrder(orderID int64, lines []OrderLine, priced bool) error {
	if orderID <= 0 {
		return fmt.Errorf("%w: order id %d is not above 0", ErrInvalidOrder, orderID)
	}
	if lines != nil && len(lines) == 0 {
		return fmt.Errorf("%w: order %d has no lines", ErrInvalidOrder, orderID)
	}
	for i, l := range lines {
		switch {
		case l.ProductID <= 0 || l.ProductID > MaxProductID:
			return fmt.Errorf("%w: order %d line %d: product id %d is not from 1 to %d", ErrInvalidOrder, orderID, i, l.ProductID, MaxProductID)
		case l.Units <= 0 || l.Units > MaxUnits:
			return fmt.Errorf("%w: order %d line %d: %d units is not from 1 to %d", ErrInvalidOrder, orderID, i, l.Units, MaxUnits)
		case priced && (l.UnitPrice.IsNegative() || !l.UnitPrice.HasCents()):
			return fmt.Errorf("%w: order %d line %d: unit price %s is not an amount with at most 2 decimals", ErrInvalidOrder, orderID, i, l.UnitPrice.Decimal())
		}
	}
	return nil
}

// MergeLines adds up the units of lines that name the same product and
// returns one line per product, in product-id order: the order in which a
// reservation locks and updates the products, so that two reservations never
// wait for each other in a cycle. The merged lines carry no unit price.
func MergeLines(lines []OrderLine) []OrderLine {
	units := map[int64]int{}
	for _, l := range lines {
		units[l.ProductID] += l.Units
	}
	merged := make([]OrderLine, 0, len(units))
	for id, n := range units {
		merged = append(merged, OrderLine{ProductID: id, Units: n})
	}
	sort.Slice(merged, func(i, j int) bool { return merged[i].ProductID < merged[j].ProductID })
	return merged
}

// Product is what the catalog has of a product when it reserves an order:
// the units available and the current price.
type Product struct {
	Available int
	Price     money.Money
}

// LineStock says, for one product of an order, whether it has the units
// the order wants and whether the order wants them at its current price.
type LineStock struct {
	ProductID    int64
	HasStock     bool
	PriceMatches bool
}

// CheckOrder tells, for each product of the order (one entry per product,
// in MergeLines order), whether it has the units all the order's lines of
// it want, and whether every one of those lines is at its current price
// (docs/events.md flow 4: an order is never paid at a price the catalog does
// not charge). products maps a product id to what the catalog has of it; a
// product missing from it does not exist. ok is true when every product
// has its stock at its price.
func CheckOrder(lines []OrderLine, products map[int64]Product) (result []LineStock, ok bool) {
	priceMatches := map[int64]bool{}
	for _, l := range lines {
		p, exists := products[l.ProductID]
		matches, seen := priceMatches[l.ProductID]
		priceMatches[l.ProductID] = exists && l.UnitPrice.Equal(p.Price) && (matches || !seen)
	}
	ok = len(lines) > 0
	for _, l := range MergeLines(lines) {
		p, exists := products[l.ProductID]
		line := LineStock{ProductID: l.ProductID, HasStock: exists && p.Available >= l.Units, PriceMatches: priceMatches[l.ProductID]}
		ok = ok && line.HasStock && line.PriceMatches
		result = append(result, line)
	}
	return result, ok
}

// ReservationState is where an order's reservation stands.
type ReservationState string

// The states of a reservation. Reserved holds the units back from the
// available stock; Final means the order was paid and the units are gone for
// good; Released gave the units back (or marks an order cancelled before its
// reservation was asked for, so that a late request reserves nothing).
const (
	Reserved ReservationState = "reserved"
	Final    ReservationState = "final"
	Released ReservationState = "released"
)

// Outcome is what a request to reserve an order's stock came to.
type Outcome int

// The outcomes of a reservation request.
const (
	// Confirmed: every line was reserved now, or had been by an earlier
	// request for the same order.
	Confirmed Outcome = iota + 1
	// Rejected: some product lacked stock, was not at the order's price,
	// or does not exist; nothing was reserved.
	Rejected
	// AlreadyReleased: the order was cancelled first; nothing was reserved
	// and there is nobody to answer.
	AlreadyReleased
)

// Reservation is the result of a request to reserve an order's stock.
type Reservation struct {
	Outcome Outcome
	// Lines says, per product, whether it had stock at the order's price
	// (set when Rejected).
	Lines []LineStock
}
