package catalog_test

import (
	"errors"
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
		{"price", func(it *catalog.Item) { it.Price = money.MustParse("1e6000") }},
		{"price", func(it *catalog.Item) { it.Price = money.MustParse("1e-6000") }},
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
	got := catalog.MergeLines([]catalog.OrderLine{{7, 1}, {2, 3}, {7, 4}})
	want := []catalog.OrderLine{{2, 3}, {7, 5}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("MergeLines = %v, want %v", got, want)
	}
}

func TestCheckStock(t *testing.T) {
	lines := []catalog.OrderLine{{1, 2}, {2, 5}, {3, 1}, {4, 0}}
	got, ok := catalog.CheckStock(lines, map[int64]int{1: 2, 2: 4, 4: 10})
	if ok {
		t.Fatal("ok with lines lacking stock")
	}
	want := []bool{true, false, false, false}
	for i, l := range got {
		if l.HasStock != want[i] {
			t.Errorf("line %d: HasStock %v, want %v", l.ProductID, l.HasStock, want[i])
		}
	}
	if _, ok := catalog.CheckStock([]catalog.OrderLine{{1, 2}}, map[int64]int{1: 2}); !ok {
		t.Fatal("not ok with exactly the stock asked for")
	}
	if _, ok := catalog.CheckStock(nil, nil); ok {
		t.Fatal("an order without lines was ok")
	}
}
