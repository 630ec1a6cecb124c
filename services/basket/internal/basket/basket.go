// Package basket is the basket domain: a buyer's basket, its lines, the rules
// a basket must keep, the checkout a buyer asks for, and a catalog price
// change. It holds no SQL, no HTTP and no AMQP.
package basket

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/validate"
)

// Limits of a basket.
const (
	MaxLines          = 100
	MinQuantity       = 1
	MaxQuantity       = 1000
	MaxProductNameLen = 200
	MaxPictureURLLen  = 2000
)

// MaxProductID is the largest product id: catalog's ids are 32-bit, as are
// the product ids of ordering's order lines.
const MaxProductID = 1<<31 - 1

// MaxUnitPrice is the largest unit price a line may have.
var MaxUnitPrice = money.MustParse("1000000000")

// Errors of the basket rules.
var (
	// ErrEmptyBasket is returned when a buyer checks out a basket without lines.
	ErrEmptyBasket = errors.New("basket: the basket is empty")
	// ErrInvalidLines is matched by the *LinesError of a checkout whose
	// lines could not become an order.
	ErrInvalidLines = errors.New("basket: a line cannot be ordered")
	// ErrRequestIDTaken is returned when a checkout request id was already
	// used by another buyer.
	ErrRequestIDTaken = errors.New("basket: the request id was used by another buyer")
)

// Basket is a buyer's basket. A buyer has at most one; a buyer without one
// has an empty basket.
type Basket struct {
	BuyerID string
	Items   []Item
}

// CanCheckOut returns ErrEmptyBasket for a basket without lines, and a
// *LinesError for one with a line that breaks today's rules (a line stored
// before they were tightened): neither can become an order.
func (b Basket) CanCheckOut() error {
	if len(b.Items) == 0 {
		return ErrEmptyBasket
	}
	if p := ValidateItems(b.Items); len(p) > 0 {
		return &LinesError{Problems: p}
	}
	return nil
}

// LinesError tells which lines of a basket cannot be ordered.
type LinesError struct {
	Problems Problems
}

func (e *LinesError) Error() string {
	return fmt.Sprintf("%s: %v", ErrInvalidLines, map[string][]string(e.Problems))
}

// Is makes a LinesError match ErrInvalidLines.
func (e *LinesError) Is(target error) bool { return target == ErrInvalidLines }

// Item is one line of a basket. ID is given by the store.
type Item struct {
	ID          string
	ProductID   int64
	ProductName string
	// UnitPrice is the price the buyer sees; it follows catalog price changes.
	UnitPrice money.Money
	// OldUnitPrice is the catalog price just before UnitPrice (the old price
	// of the newest catalog change the line followed, see PriceFollow), nil
	// while the price never changed.
	OldUnitPrice *money.Money
	Quantity     int
	PictureURL   string
}

// Problems maps a field (as the API names it, e.g. "items[2].quantity") to
// what is wrong with it. An empty Problems means valid.
type Problems map[string][]string

func (p Problems) add(field, format string, args ...any) {
	p[field] = append(p[field], fmt.Sprintf(format, args...))
}

// ValidateBuyerID checks a buyer id as it comes in a path or an event
// (validate.BuyerID, the rule every service keeps).
func ValidateBuyerID(id string) error { return validate.BuyerID(id) }

// ValidateItems checks the items a buyer puts in a basket: at most MaxLines
// lines, each with a product id from 1 to MaxProductID, a name, a positive
// price in cents and a quantity from MinQuantity to MaxQuantity: a line
// that ordering could not order is refused here. A product may appear on several
// lines, as in eShop.
func ValidateItems(items []Item) Problems {
	p := Problems{}
	if len(items) > MaxLines {
		p.add("items", "at most %d lines, got %d", MaxLines, len(items))
		return p
	}
	for i, it := range items {
		field := func(name string) string { return fmt.Sprintf("items[%d].%s", i, name) }
		if it.ProductID <= 0 || it.ProductID > MaxProductID {
			p.add(field("productId"), "must be an integer from 1 to %d", MaxProductID)
		}
		name := strings.TrimSpace(it.ProductName)
		if name == "" {
			p.add(field("productName"), "is required")
		} else if utf8.RuneCountInString(it.ProductName) > MaxProductNameLen || !validate.PlainText(it.ProductName) {
			p.add(field("productName"), "must be at most %d characters of text without control characters", MaxProductNameLen)
		}
		if !it.UnitPrice.IsPositive() {
			p.add(field("unitPrice"), "must be positive")
		}
		if it.UnitPrice.Cmp(MaxUnitPrice) > 0 {
			p.add(field("unitPrice"), "must be at most %s", MaxUnitPrice)
		}
		if !it.UnitPrice.HasCents() {
			p.add(field("unitPrice"), "must have at most 2 decimals")
		}
		if it.Quantity < MinQuantity || it.Quantity > MaxQuantity {
			p.add(field("quantity"), "must be from %d to %d", MinQuantity, MaxQuantity)
		}
		if len(it.PictureURL) > MaxPictureURLLen || !validate.PlainText(it.PictureURL) {
			p.add(field("pictureUrl"), "must be at most %d bytes of text without control characters", MaxPictureURLLen)
		}
	}
	return p
}
