package catalog_test

import (
	"errors"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
)

func TestUpdateWithANewPriceCountsAVersionAndRecordsTheChange(t *testing.T) {
	it := validItem()
	it.ID, it.PriceVersion, it.Version = 7, 3, 12
	edit := validItem()
	edit.ID, edit.PriceVersion, edit.Version, edit.Name, edit.Price = 99, 0, 12, "Storm lantern", money.MustParse("13.00")

	change, err := it.Update(edit)
	if err != nil || change == nil {
		t.Fatalf("a new price recorded no change (%v)", err)
	}
	want := catalog.PriceChange{ProductID: 7, OldPrice: money.MustParse("12.50"), NewPrice: money.MustParse("13.00"), PriceVersion: 4}
	if change.ProductID != want.ProductID || !change.OldPrice.Equal(want.OldPrice) || !change.NewPrice.Equal(want.NewPrice) || change.PriceVersion != want.PriceVersion {
		t.Fatalf("change = %+v, want %+v", *change, want)
	}
	if it.ID != 7 || it.PriceVersion != 4 || it.Version != 12 || it.Name != "Storm lantern" || !it.Price.Equal(edit.Price) {
		t.Fatalf("item after Update = %+v: want the edit, with its own id and the next price version", it)
	}
}

func TestUpdateWithTheSamePriceRecordsNothing(t *testing.T) {
	it := validItem()
	it.ID, it.PriceVersion, it.Version = 7, 3, 12
	edit := validItem()
	edit.Version, edit.Name, edit.Price = 12, "Renamed", money.MustParse("12.5") // the same amount, written otherwise
	if change, err := it.Update(edit); change != nil || err != nil {
		t.Fatalf("an unchanged price recorded %v, %v", change, err)
	}
	if it.PriceVersion != 3 || it.Name != "Renamed" {
		t.Fatalf("item after Update = %+v: want the edit, price version unchanged", it)
	}
}

func TestUpdateOfAnotherVersionIsStaleAndChangesNothing(t *testing.T) {
	it := validItem()
	it.ID, it.PriceVersion, it.Version, it.AvailableStock = 7, 3, 12, 1
	before := it
	edit := validItem() // read when the stock was 3, before version 12
	edit.Version, edit.Price = 11, money.MustParse("13.00")
	if change, err := it.Update(edit); !errors.Is(err, catalog.ErrStale) || change != nil {
		t.Fatalf("Update of version 11 = %v, %v; want ErrStale", change, err)
	}
	if it != before {
		t.Fatalf("item after a stale Update = %+v, want %+v", it, before)
	}
}
