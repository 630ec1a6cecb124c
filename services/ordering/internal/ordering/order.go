package ordering

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/validate"
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
	ProductID   int64
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

// Card is how an order is paid: the token payment sealed the card into,
// which only payment can open and charge, and what the buyer may be shown
// of the card. The card number and the security code never reach ordering
// (docs/events.md, "Card data").
type Card struct {
	PaymentToken string
	TypeID       int
	Last4        string // the card number's last four digits
	HolderName   string
	Expiration   time.Time
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
	RequestID uuid.UUID
	// GUID is the order's own uuid, given when it is made: unique across
	// ordering's databases, where Number is not (a recreated or restored
	// database numbers its orders from 1 again). The events carry it, so
	// that catalog keeps the order's reservation under it.
	GUID        uuid.UUID
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

// Limits of what an order can hold: ids and units are 32-bit (catalog's
// and the order lines' columns), and the total must fit its column.
const maxInt32 = 1<<31 - 1

// maxTotal is one cent below the largest amount the total's column holds.
var maxTotal = money.MustParse("9999999999999999.99")

// NewOrder checks a checkout made at checkedOutAt and returns the order it
// makes, Submitted, with that change recorded. Everything a later step
// would choke on is refused here, with ErrInvalidOrder naming each
// problem: the request id, the buyer, every address field, the card (a
// token, four digits, a type id from 1 to 2^31-1, a holder, an expiry
// after checkedOutAt) and the lines (at least one; product ids and units
// from 1 to 2^31-1; positive prices in cents). Whether the card type exists is the store's
// to say.
func NewOrder(requestID uuid.UUID, buyer Buyer, address Address, card Card, items []Item, checkedOutAt time.Time) (*Order, error) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if requestID == uuid.Nil {
		add("the request id is missing")
	}
	text := []struct{ name, value string }{
		{"buyer id", buyer.ID}, {"street", address.Street}, {"city", address.City}, {"state", address.State},
		{"country", address.Country}, {"zip code", address.ZipCode}, {"card holder", card.HolderName},
	}
	for _, f := range text {
		if strings.TrimSpace(f.value) == "" || !validate.PlainText(f.value) {
			add("the %s is missing or not plain text", f.name)
		}
	}
	if !validate.PlainText(buyer.Name) {
		add("the buyer's name is not plain text")
	}
	if !validate.PaymentToken(card.PaymentToken) {
		add("the payment token is missing or malformed")
	}
	if len(card.Last4) != 4 || strings.Trim(card.Last4, "0123456789") != "" {
		add("the card's last four digits are missing or malformed")
	}
	if card.TypeID <= 0 || card.TypeID > maxInt32 {
		add("the card type %d is missing or not 1 to %d", card.TypeID, maxInt32)
	}
	if !card.Expiration.After(checkedOutAt) {
		add("the card expired (%s) before the checkout", card.Expiration.UTC().Format(time.RFC3339))
	}
	if len(items) == 0 {
		add("the order has no items")
	}
	total := money.Zero
	for i, it := range items {
		switch {
		case it.ProductID <= 0 || it.ProductID > maxInt32:
			add("item %d has product id %d, not 1 to %d", i, it.ProductID, maxInt32)
		case it.Units <= 0 || it.Units > maxInt32:
			add("item %d (product %d) has %d units", i, it.ProductID, it.Units)
		case !it.UnitPrice.IsPositive() || !it.UnitPrice.HasCents():
			add("item %d (product %d) has unit price %s", i, it.ProductID, it.UnitPrice.Decimal())
		case !validate.PlainText(it.ProductName) || !validate.PlainText(it.PictureURL):
			add("item %d (product %d) has a name or picture that is not plain text", i, it.ProductID)
		default:
			total = total.Add(it.Total())
		}
	}
	if total.Cmp(maxTotal) > 0 {
		add("the total %s is too large", total)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidOrder, strings.Join(problems, "; "))
	}
	if strings.TrimSpace(buyer.Name) == "" {
		buyer.Name = buyer.ID
	}
	o := &Order{
		RequestID: requestID,
		GUID:      uuid.New(),
		Buyer:     buyer,
		Status:    Submitted,
		Address:   address,
		Card:      card,
		Items:     append([]Item(nil), items...),
		changes:   []Status{Submitted},
	}
	return o, nil
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
		productID int64
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
