package catalog

import (
	"errors"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

// ErrNotFound is returned for an item id that does not exist.
var ErrNotFound = errors.New("catalog: not found")

// ErrStale is returned for an edit of an item that changed after the editor
// read it: the edit was based on a version the item no longer has.
var ErrStale = errors.New("catalog: the item changed since it was read")

// MaxNameLength is the longest item name, in characters.
const MaxNameLength = 100

// Item is a product that the shop sells.
type Item struct {
	ID          int64
	Name        string
	Description string
	Price       money.Money
	// PriceVersion counts the price changes of the item. It travels with
	// ProductPriceChanged so that a consumer can ignore a stale event that
	// arrives after a newer one.
	PriceVersion      int64
	PictureFileName   string
	CatalogTypeID     int64
	CatalogBrandID    int64
	AvailableStock    int
	RestockThreshold  int
	MaxStockThreshold int
	OnReorder         bool
	// Version counts every change of the item, its stock included: the
	// store counts one more each time it writes the item, whoever writes
	// it. An edit carries the version it was based on (Update).
	Version int64
}

// FieldErrors lists what is wrong with an item, by field (the field names of
// the HTTP API). It is an error.
type FieldErrors map[string][]string

// Add records msg against field.
func (f FieldErrors) Add(field, msg string) { f[field] = append(f[field], msg) }

// Error lists the fields in order, e.g. "invalid item: name, price".
func (f FieldErrors) Error() string {
	fields := make([]string, 0, len(f))
	for k := range f {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	return "invalid item: " + strings.Join(fields, ", ")
}

// Validate checks the rules an item follows on its own: a name of 1 to 100
// characters, a positive price with at most two decimals, no negative stock
// figure, and a type and brand given. Whether the type and brand exist is
// the store's to check. It returns nil or FieldErrors.
func (it Item) Validate() error {
	errs := FieldErrors{}
	name := strings.TrimSpace(it.Name)
	switch n := utf8.RuneCountInString(it.Name); {
	case name == "":
		errs.Add("name", "is required")
	case n > MaxNameLength:
		errs.Add("name", "must be at most 100 characters")
	}
	for field, s := range map[string]string{"name": it.Name, "description": it.Description, "pictureFileName": it.PictureFileName} {
		if strings.ContainsRune(s, 0) {
			errs.Add(field, "must not contain NUL characters")
		}
	}
	if msg := checkPrice(it.Price); msg != "" {
		errs.Add("price", msg)
	}
	checkStock(errs, "availableStock", it.AvailableStock)
	checkStock(errs, "restockThreshold", it.RestockThreshold)
	checkStock(errs, "maxStockThreshold", it.MaxStockThreshold)
	if it.CatalogTypeID <= 0 {
		errs.Add("catalogTypeId", "is required")
	}
	if it.CatalogBrandID <= 0 {
		errs.Add("catalogBrandId", "is required")
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// MaxPrice is the highest price the store can hold (NUMERIC(12,2)).
var MaxPrice = money.MustParse("9999999999.99")

// MaxStock is the largest stock figure the store can hold (a 32-bit integer).
const MaxStock = math.MaxInt32

// checkPrice returns what is wrong with a price, or "". Comparing and
// truncating are cheap: money's parsing bounds the digits and exponent of
// every amount that arrives.
func checkPrice(p money.Money) string {
	if !p.IsPositive() {
		return "must be greater than 0"
	}
	if !p.HasCents() {
		return "must have at most 2 decimals"
	}
	if p.Cmp(MaxPrice) > 0 {
		return "must be at most " + MaxPrice.String()
	}
	return ""
}

func checkStock(errs FieldErrors, field string, n int) {
	if n < 0 {
		errs.Add(field, "must be 0 or more")
	} else if n > MaxStock {
		errs.Add(field, "must be at most 2147483647")
	}
}

// Brand is who makes an item.
type Brand struct {
	ID   int64
	Name string
}

// Type is what kind of product an item is.
type Type struct {
	ID   int64
	Name string
}

// ItemFilter selects a page of items, ordered by name.
type ItemFilter struct {
	// NamePrefix matches names that start with it, ignoring case.
	NamePrefix string
	// TypeID and BrandID match one type or brand; 0 matches any.
	TypeID, BrandID int64
	PageIndex       int
	PageSize        int
}

// ItemPage is one page of items and how many items match in all.
type ItemPage struct {
	Items []Item
	Count int
}
