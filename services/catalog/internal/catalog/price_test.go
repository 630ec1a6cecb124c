package catalog_test

import (
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
)

func TestUpdateWithANewPriceCountsAVersionAndRecordsTheChange(t *testing.T) {
	it := validItem()
	it.ID, it.PriceVersion = 7, 3
	edit := validItem()
	edit.ID, edit.PriceVersion, edit.Name, edit.Price = 99, 0, "Storm lantern", money.MustParse("13.00")

	change := it.Update(edit)
	if change == nil {
		t.Fatal("a new price recorded no change")
	}
	want := catalog.PriceChange{ProductID: 7, OldPrice: money.MustParse("12.50"), NewPrice: money.MustParse("13.00"), PriceVersion: 4}
	if change.ProductID != want.ProductID || !change.OldPrice.Equal(want.OldPrice) || !change.NewPrice.Equal(want.NewPrice) || change.PriceVersion != want.PriceVersion {
		t.Fatalf("change = %+v, want %+v", *change, want)
	}
	if it.ID != 7 || it.PriceVersion != 4 || it.Name != "Storm lantern" || !it.Price.Equal(edit.Price) {
		t.Fatalf("item after Update = %+v: want the edit, with its own id and the next price version", it)
	}
}

func TestUpdateWithTheSamePriceRecordsNothing(t *testing.T) {
	it := validItem()
	it.ID, it.PriceVersion = 7, 3
	edit := validItem()
	edit.Name, edit.Price = "Renamed", money.MustParse("12.5") // the same amount, written otherwise
	if change := it.Update(edit); change != nil {
		t.Fatalf("an unchanged price recorded %+v", *change)
	}
	if it.PriceVersion != 3 || it.Name != "Renamed" {
		t.Fatalf("item after Update = %+v: want the edit, price version unchanged", it)
	}
}
