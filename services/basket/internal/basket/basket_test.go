package basket_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/google/uuid"
)

func validItem() basket.Item {
	return basket.Item{ProductID: 1, ProductName: "Mug", UnitPrice: money.MustParse("9.50"), Quantity: 2}
}

func TestValidateItems(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*basket.Item)
		field string
	}{
		{"product id zero", func(i *basket.Item) { i.ProductID = 0 }, "items[0].productId"},
		{"product id over int32", func(i *basket.Item) { i.ProductID = 2147483648 }, "items[0].productId"},
		{"product name blank", func(i *basket.Item) { i.ProductName = "  " }, "items[0].productName"},
		{"product name too long", func(i *basket.Item) { i.ProductName = strings.Repeat("x", 201) }, "items[0].productName"},
		{"negative price", func(i *basket.Item) { i.UnitPrice = money.MustParse("-0.01") }, "items[0].unitPrice"},
		{"free", func(i *basket.Item) { i.UnitPrice = money.Zero }, "items[0].unitPrice"},
		{"three decimals", func(i *basket.Item) { i.UnitPrice = money.MustParse("1.005") }, "items[0].unitPrice"},
		{"huge price", func(i *basket.Item) { i.UnitPrice = money.MustParse("1000000000.01") }, "items[0].unitPrice"},
		{"quantity zero", func(i *basket.Item) { i.Quantity = 0 }, "items[0].quantity"},
		{"quantity 1001", func(i *basket.Item) { i.Quantity = 1001 }, "items[0].quantity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it := validItem()
			c.edit(&it)
			p := basket.ValidateItems([]basket.Item{it})
			if len(p[c.field]) == 0 {
				t.Fatalf("problems %v do not name %s", p, c.field)
			}
		})
	}

	ok := validItem()
	ok.ProductID = basket.MaxProductID
	ok.UnitPrice = money.MustParse("0.01")
	ok.Quantity = basket.MaxQuantity
	lines := make([]basket.Item, basket.MaxLines)
	for i := range lines {
		lines[i] = ok
	}
	if p := basket.ValidateItems(lines); len(p) != 0 {
		t.Fatalf("%d valid lines: problems %v", basket.MaxLines, p)
	}
	if p := basket.ValidateItems(append(lines, ok)); len(p["items"]) == 0 {
		t.Fatalf("%d lines: problems %v, want items", basket.MaxLines+1, p)
	}
}

func TestValidateBuyerID(t *testing.T) {
	for _, id := range []string{"alice", "6f1c9f0e-1b9e-4d3c-9d7e-0c1c2b3a4d5e", "bob@example.com"} {
		if err := basket.ValidateBuyerID(id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
	}
	for _, id := range []string{"", "a b", "tab\there", strings.Repeat("x", 101), "nul\x00"} {
		if basket.ValidateBuyerID(id) == nil {
			t.Errorf("%q accepted", id)
		}
	}
}

func validCheckout(now time.Time) basket.Checkout {
	return basket.Checkout{
		BuyerID: "alice", RequestID: uuid.New(),
		City: "Redmond", Street: "15703 NE 61st Ct", State: "WA", Country: "U.S.", ZipCode: "98052",
		PaymentToken: "eyJhbGciOiJkaXIifQ..iv.ciphertext.tag", CardLast4: "1881", CardHolderName: "Alice",
		CardExpiration: now.AddDate(1, 0, 0), CardTypeID: 1, Buyer: "Alice",
	}
}

func TestCheckoutValidate(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if p := validCheckout(now).Validate(now); len(p) != 0 {
		t.Fatalf("valid checkout: %v", p)
	}
	cases := []struct {
		field string
		edit  func(*basket.Checkout)
	}{
		{"city", func(c *basket.Checkout) { c.City = "" }},
		{"street", func(c *basket.Checkout) { c.Street = " " }},
		{"state", func(c *basket.Checkout) { c.State = "" }},
		{"country", func(c *basket.Checkout) { c.Country = "" }},
		{"zipCode", func(c *basket.Checkout) { c.ZipCode = "" }},
		{"cardHolderName", func(c *basket.Checkout) { c.CardHolderName = "" }},
		{"buyer", func(c *basket.Checkout) { c.Buyer = "" }},
		{"paymentToken", func(c *basket.Checkout) { c.PaymentToken = "" }},
		{"paymentToken", func(c *basket.Checkout) { c.PaymentToken = "a token" }},
		{"paymentToken", func(c *basket.Checkout) { c.PaymentToken = strings.Repeat("a", 4097) }},
		{"cardLast4", func(c *basket.Checkout) { c.CardLast4 = "" }},
		{"cardLast4", func(c *basket.Checkout) { c.CardLast4 = "188" }},
		{"cardLast4", func(c *basket.Checkout) { c.CardLast4 = "18a1" }},
		{"cardTypeId", func(c *basket.Checkout) { c.CardTypeID = 99 }},
		{"cardExpiration", func(c *basket.Checkout) { c.CardExpiration = time.Time{} }},
		{"cardExpiration", func(c *basket.Checkout) { c.CardExpiration = now.Add(-time.Hour) }},
		{"cardTypeId", func(c *basket.Checkout) { c.CardTypeID = 0 }},
	}
	for _, c := range cases {
		co := validCheckout(now)
		c.edit(&co)
		p := co.Validate(now)
		if len(p[c.field]) == 0 {
			t.Errorf("%s: problems %v do not name it", c.field, p)
		}
	}
}

func TestPriceChangeValidate(t *testing.T) {
	ok := basket.PriceChange{ProductID: 7, OldPrice: money.MustParse("10.00"), NewPrice: money.MustParse("0.01"), Version: 0}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid change: %v", err)
	}
	top := ok
	top.ProductID, top.Version = math.MaxInt32, basket.MaxPriceVersion
	if err := top.Validate(); err != nil {
		t.Fatalf("valid change at the bounds: %v", err)
	}
	for name, edit := range map[string]func(*basket.PriceChange){
		"product id 0":           func(c *basket.PriceChange) { c.ProductID = 0 },
		"product id above int32": func(c *basket.PriceChange) { c.ProductID = math.MaxInt32 + 1 },
		"negative version":       func(c *basket.PriceChange) { c.Version = -1 },
		"version 2^62":           func(c *basket.PriceChange) { c.Version = 1 << 62 },
		"negative new price":     func(c *basket.PriceChange) { c.NewPrice = money.MustParse("-1") },
		"new price 0":            func(c *basket.PriceChange) { c.NewPrice = money.Zero },
		"old price 0":            func(c *basket.PriceChange) { c.OldPrice = money.Zero },
		"three decimals":         func(c *basket.PriceChange) { c.OldPrice = money.MustParse("1.001") },
		"too large":              func(c *basket.PriceChange) { c.NewPrice = money.MustParse("1e12") },
	} {
		c := ok
		edit(&c)
		if err := c.Validate(); !errors.Is(err, basket.ErrInvalidPriceChange) {
			t.Errorf("%s: %v, want ErrInvalidPriceChange", name, err)
		}
	}
}
