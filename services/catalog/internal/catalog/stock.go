package catalog

import "sort"

// OrderLine is how many units of a product an order wants.
type OrderLine struct {
	ProductID int64
	Units     int
}

// MergeLines adds up the units of lines that name the same product and
// returns one line per product, in product-id order: the order in which a
// reservation locks and updates the products, so that two reservations never
// wait for each other in a cycle.
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

// LineStock says whether one product of an order has the units it wants.
type LineStock struct {
	ProductID int64
	HasStock  bool
}

// CheckStock tells, for each line, whether the product has enough stock.
// available maps a product id to its available stock; a product missing from
// it does not exist and has no stock. A line asking for no units or fewer is
// not a valid request and counts as lacking stock.
func CheckStock(lines []OrderLine, available map[int64]int) (result []LineStock, ok bool) {
	ok = len(lines) > 0
	for _, l := range lines {
		stock, exists := available[l.ProductID]
		has := exists && l.Units > 0 && stock >= l.Units
		ok = ok && has
		result = append(result, LineStock{ProductID: l.ProductID, HasStock: has})
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
	// Rejected: some line lacked stock (or named no product); nothing was
	// reserved.
	Rejected
	// AlreadyReleased: the order was cancelled first; nothing was reserved
	// and there is nobody to answer.
	AlreadyReleased
)

// Reservation is the result of a request to reserve an order's stock.
type Reservation struct {
	Outcome Outcome
	// Lines says, per product, whether it had stock (set when Rejected).
	Lines []LineStock
}
