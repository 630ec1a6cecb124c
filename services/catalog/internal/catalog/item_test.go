package catalog_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
)

func validItem() catalog.Item {
	return catalog.Item{Name: "Lantern", Price: money.MustParse("12.50"), CatalogTypeID: 1, CatalogBrandID: 1, AvailableStock: 3}
}

func TestValidateNamesEachBadField(t *testing.T) {
	if err := validItem().Validate(); err != nil {
		t.Fatalf("valid item: %v", err)
	}
	cases := []struct {
		field  string
		change func(*catalog.Item)
	}{
		{"name", func(it *catalog.Item) { it.Name = "" }},
		{"name", func(it *catalog.Item) { it.Name = "   " }},
		{"name", func(it *catalog.Item) { it.Name = strings.Repeat("é", 101) }},
		{"name", func(it *catalog.Item) { it.Name = "a\x00b" }},
		{"description", func(it *catalog.Item) { it.Description = "\x00" }},
		{"price", func(it *catalog.Item) { it.Price = money.Zero }},
		{"price", func(it *catalog.Item) { it.Price = money.MustParse("-1") }},
		{"price", func(it *catalog.Item) { it.Price = money.MustParse("1.005") }},
		{"price", func(it *catalog.Item) { it.Price = money.MustParse("10000000000") }},
		{"price", func(it *catalog.Item) { it.Price = money.MustParse("1e19") }},
		{"price", func(it *catalog.Item) { it.Price = money.MustParse("1e-19") }},
		{"availableStock", func(it *catalog.Item) { it.AvailableStock = -1 }},
		{"availableStock", func(it *catalog.Item) { it.AvailableStock = catalog.MaxStock + 1 }},
		{"restockThreshold", func(it *catalog.Item) { it.RestockThreshold = -1 }},
		{"maxStockThreshold", func(it *catalog.Item) { it.MaxStockThreshold = -1 }},
		{"catalogTypeId", func(it *catalog.Item) { it.CatalogTypeID = 0 }},
		{"catalogBrandId", func(it *catalog.Item) { it.CatalogBrandID = -2 }},
	}
	for _, c := range cases {
		it := validItem()
		c.change(&it)
		var fe catalog.FieldErrors
		if err := it.Validate(); !errors.As(err, &fe) || len(fe[c.field]) == 0 || len(fe) != 1 {
			t.Errorf("%s: Validate() = %v, want exactly an error on %s", c.field, err, c.field)
		}
	}
	for _, ok := range []string{"0.01", "19.5", "19.500", "9999999999.99", "1e3"} {
		it := validItem()
		it.Price = money.MustParse(ok)
		if err := it.Validate(); err != nil {
			t.Errorf("price %s: %v, want valid", ok, err)
		}
	}
}

func TestMergeLinesSumsDuplicatesInProductOrder(t *testing.T) {
	got := catalog.MergeLines([]catalog.OrderLine{{ProductID: 7, Units: 1}, {ProductID: 2, Units: 3}, {ProductID: 7, Units: 4}})
	if len(got) != 2 || got[0].ProductID != 2 || got[0].Units != 3 || got[1].ProductID != 7 || got[1].Units != 5 {
		t.Fatalf("MergeLines = %v, want 3 of 2 and 5 of 7", got)
	}
}

func TestCheckOrder(t *testing.T) {
	price := money.MustParse
	line := func(product int64, units int, unitPrice string) catalog.OrderLine {
		return catalog.OrderLine{ProductID: product, Units: units, UnitPrice: price(unitPrice)}
	}
	products := map[int64]catalog.Product{
		1: {Available: 2, Price: price("10.00")},
		2: {Available: 4, Price: price("10.00")},
		4: {Available: 10, Price: price("449.00")},
		5: {Available: 10, Price: price("5.00")},
	}
	lines := []catalog.OrderLine{
		line(1, 2, "10"),                       // enough, at its price (10 is 10.00)
		line(2, 5, "10.00"),                    // 5 of 4
		line(3, 1, "1.00"),                     // no such product
		line(4, 1, "0.00"),                     // in stock, not at its price
		line(5, 1, "5.00"), line(5, 1, "4.99"), // one line of two not at its price
	}
	got, ok := catalog.CheckOrder(lines, products)
	if ok {
		t.Fatal("ok with lines lacking stock or at another price")
	}
	want := []catalog.LineStock{
		{ProductID: 1, HasStock: true, PriceMatches: true},
		{ProductID: 2, HasStock: false, PriceMatches: true},
		{ProductID: 3, HasStock: false, PriceMatches: false},
		{ProductID: 4, HasStock: true, PriceMatches: false},
		{ProductID: 5, HasStock: true, PriceMatches: false},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("CheckOrder = %+v, want %+v", got, want)
	}
	if _, ok := catalog.CheckOrder([]catalog.OrderLine{line(1, 1, "10.00"), line(1, 1, "10.00")}, products); !ok {
		t.Fatal("not ok with exactly the stock asked for, at the price")
	}
	if _, ok := catalog.CheckOrder(nil, nil); ok {
		t.Fatal("an order without lines was ok")
	}
}

func TestValidateOrder(t *testing.T) {
	valid := []catalog.OrderLine{{ProductID: catalog.MaxProductID, Units: 1, UnitPrice: money.MustParse("0.00")}}
	if err := catalog.ValidateOrder(1, valid, true); err != nil {
		t.Fatalf("a valid order: %v", err)
	}
	if err := catalog.ValidateOrder(1, nil, false); err != nil {
		t.Fatalf("an event without lines (Cancelled): %v", err)
	}
	for name, c := range map[string]struct {
		orderID int64
		lines   []catalog.OrderLine
	}{
		"order id 0":         {0, valid},
		"negative order id":  {-1, valid},
		"no lines":           {1, []catalog.OrderLine{}},
		"product id 0":       {1, []catalog.OrderLine{{ProductID: 0, Units: 1}}},
		"product id > int32": {1, []catalog.OrderLine{{ProductID: catalog.MaxProductID + 1, Units: 1}}},
		"negative units":     {1, []catalog.OrderLine{{ProductID: 1, Units: -5}, {ProductID: 1, Units: 6}}},
		"no units":           {1, []catalog.OrderLine{{ProductID: 1, Units: 0}}},
		"negative price":     {1, []catalog.OrderLine{{ProductID: 1, Units: 1, UnitPrice: money.MustParse("-1")}}},
		"three decimals":     {1, []catalog.OrderLine{{ProductID: 1, Units: 1, UnitPrice: money.MustParse("1.005")}}},
	} {
		if err := catalog.ValidateOrder(c.orderID, c.lines, true); !errors.Is(err, catalog.ErrInvalidOrder) {
			t.Errorf("%s: %v, want ErrInvalidOrder", name, err)
		}
	}
}
