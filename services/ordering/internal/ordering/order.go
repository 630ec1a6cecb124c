package ordering

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/google/uuid"
)

// Status is where an order stands. The names are those of the wire contract
// (the OrderStatus field of the status events) and of the HTTP API.
type Status string

// The statuses of an order.
const (
	Submitted          Status = "Submitted"
	AwaitingValidation Status = "AwaitingValidation"
	StockConfirmed     Status = "StockConfirmed"
	Paid               Status = "Paid"
	Shipped            Status = "Shipped"
	Cancelled          Status = "Cancelled"
)

// Statuses lists every status in the order of the happy path, Cancelled last.
var Statuses = []Status{Submitted, AwaitingValidation, StockConfirmed, Paid, Shipped, Cancelled}

// Item is one line of an order.
type Item struct {
	ProductID   int
	ProductName string
	UnitPrice   money.Money
	Units       int
	PictureURL  string
}

// Total is UnitPrice × Units.
func (i Item) Total() money.Money { return i.UnitPrice.Times(int64(i.Units)) }

// Address is where an order is shipped.
type Address struct {
	Street, City, State, Country, ZipCode string
}

// Card is how an order is paid. Only a masked number is kept; the security
// code is never part of an order.
type Card struct {
	TypeID     int
	Masked     string // "XXXXXXXXXXXX1234"
	HolderName string
	Expiration time.Time
}

// CardType is a kind of card the shop accepts.
type CardType struct {
	ID   int
	Name string
}

// Buyer is who placed an order: the basket's buyer id and a display name.
type Buyer struct {
	ID   string
	Name string
}

// Order is an order and the status changes it has made since it was loaded
// or created.
type Order struct {
	// Number is the order number (the OrderId of the events); 0 until the
	// store has saved a new order.
	Number int64
	// RequestID is the checkout request that made the order: one order per
	// request.
	RequestID   uuid.UUID
	Buyer       Buyer
	Status      Status
	Description string
	Address     Address
	Card        Card
	Items       []Item
	// Date is when the order was submitted.
	Date time.Time

	changes []Status
}

// Summary is an order in a buyer's list of orders.
type Summary struct {
	Number int64
	Date   time.Time
	Status Status
	Total  money.Money
}

// ErrInvalidOrder is matched by the error of NewOrder for a checkout that
// cannot become an order.
var ErrInvalidOrder = errors.New("invalid order")

// ErrNotFound is returned by stores for an order number they do not know.
var ErrNotFound = errors.New("order not found")

// NewOrder checks a checkout and returns the order it makes, Submitted, with
// that change recorded. cardNumber is masked here, so that the full number
// goes no further than this call.
func NewOrder(requestID uuid.UUID, buyer Buyer, address Address, cardTypeID int, cardNumber, cardHolder string, cardExpiration time.Time, items []Item) (*Order, error) {
	var problems []string
	if requestID == uuid.Nil {
		problems = append(problems, "the request id is missing")
	}
	if strings.TrimSpace(buyer.ID) == "" {
		problems = append(problems, "the buyer id is missing")
	}
	if cardTypeID <= 0 {
		problems = append(problems, "the card type is missing")
	}
	if len(items) == 0 {
		problems = append(problems, "the order has no items")
	}
	for i, it := range items {
		switch {
		case it.ProductID <= 0:
			problems = append(problems, fmt.Sprintf("item %d has no product id", i))
		case it.Units <= 0:
			problems = append(problems, fmt.Sprintf("item %d (product %d) has %d units", i, it.ProductID, it.Units))
		case it.UnitPrice.IsNegative() || !it.UnitPrice.HasCents():
			problems = append(problems, fmt.Sprintf("item %d (product %d) has unit price %s", i, it.ProductID, it.UnitPrice.Decimal()))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidOrder, strings.Join(problems, "; "))
	}
	if strings.TrimSpace(buyer.Name) == "" {
		buyer.Name = buyer.ID
	}
	o := &Order{
		RequestID: requestID,
		Buyer:     buyer,
		Status:    Submitted,
		Address:   address,
		Card: Card{
			TypeID:     cardTypeID,
			Masked:     MaskCardNumber(cardNumber),
			HolderName: cardHolder,
			Expiration: cardExpiration,
		},
		Items:   append([]Item(nil), items...),
		changes: []Status{Submitted},
	}
	return o, nil
}

// MaskCardNumber keeps the last four digits of a card number and hides the
// rest: "4012888888881881" becomes "XXXXXXXXXXXX1881". Spaces and dashes
// are ignored; a number with fewer than four digits is hidden entirely.
func MaskCardNumber(number string) string {
	var digits []byte
	for i := 0; i < len(number); i++ {
		if c := number[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	last4 := ""
	if len(digits) >= 4 {
		last4 = string(digits[len(digits)-4:])
	}
	return strings.Repeat("X", 12) + last4
}

// Total is the sum of the order's lines.
func (o *Order) Total() money.Money {
	total := money.Zero
	for _, it := range o.Items {
		total = total.Add(it.Total())
	}
	return total
}

// StockItems is what catalog needs to reserve or release stock for the
// order: units per product and unit price, one entry per product at a
// price (lines of one product at two prices stay two entries, so that
// catalog checks each price).
func (o *Order) StockItems() []StockItem {
	type key struct {
		productID int
		unitPrice string
	}
	var out []StockItem
	index := map[key]int{}
	for _, it := range o.Items {
		k := key{it.ProductID, it.UnitPrice.String()}
		if i, ok := index[k]; ok {
			out[i].Units += it.Units
			continue
		}
		index[k] = len(out)
		out = append(out, StockItem{ProductID: it.ProductID, Units: it.Units, UnitPrice: it.UnitPrice})
	}
	return out
}
