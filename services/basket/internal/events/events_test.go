package events_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/eshop-go/eshop-go/services/basket/internal/events"
	"github.com/google/uuid"
)

func TestProductPriceChangedDecodesTheWireFormat(t *testing.T) {
	id := uuid.New()
	for _, c := range []struct {
		name, body string
		version    int64
	}{
		{"from docs/events.md", `{"Id":"` + id.String() + `","CreationDate":"2026-11-25T10:00:00Z","ProductId":7,"NewPrice":19.50,"OldPrice":21.00}`, 0},
		{"with PriceVersion and unknown fields", `{"Id":"` + id.String() + `","CreationDate":"2026-11-25T10:00:00Z","ProductId":7,"NewPrice":19.5,"OldPrice":21,"PriceVersion":4,"Extra":[1]}`, 4},
		{"other casing", `{"id":"` + id.String() + `","creationDate":"2026-11-25T10:00:00Z","productId":7,"newPrice":19.50,"oldPrice":21.00}`, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := eventbus.Decode[events.ProductPriceChangedIntegrationEvent](eventbus.Message{Name: "ProductPriceChangedIntegrationEvent", Body: []byte(c.body)})
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != id || e.ProductID != 7 || !e.NewPrice.Equal(money.MustParse("19.50")) ||
				!e.OldPrice.Equal(money.MustParse("21")) || e.PriceVersion != c.version || e.CreationDate.IsZero() {
				t.Fatalf("decoded %+v", e)
			}
		})
	}
}

func TestUserCheckoutAcceptedWireFormat(t *testing.T) {
	old := money.MustParse("10.00")
	c := basket.Checkout{
		BuyerID: "alice", RequestID: uuid.New(), City: "c", Street: "s", State: "st", Country: "co", ZipCode: "z",
		PaymentToken: "tok.en", CardLast4: "1881", CardHolderName: "Alice",
		CardExpiration: time.Date(2030, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)), CardTypeID: 2, Buyer: "Alice Smith",
	}
	b := basket.Basket{BuyerID: "alice", Items: []basket.Item{
		{ID: "l1", ProductID: 7, ProductName: "Mug", UnitPrice: money.MustParse("12.00"), OldUnitPrice: &old, Quantity: 2, PictureURL: "7.png"},
		{ID: "l2", ProductID: 8, ProductName: "Cap", UnitPrice: money.MustParse("5"), Quantity: 1},
	}}
	e := events.CheckoutAcceptedEvent(c, b)
	m, err := eventbus.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "UserCheckoutAcceptedIntegrationEvent" || m.ID != e.EventID() || e.EventID() == uuid.Nil {
		t.Fatalf("message %s %s", m.Name, m.ID)
	}
	body := string(m.Body)
	for _, want := range []string{
		`"UserId":"alice"`, `"UserName":"Alice Smith"`, `"Buyer":"alice"`, `"RequestId":"` + c.RequestID.String() + `"`,
		`"PaymentToken":"tok.en"`, `"CardLast4":"1881"`, `"CardTypeId":2`,
		`"CardExpiration":"2029-12-31T23:00:00Z"`, `"Basket":{"BuyerId":"alice","Items":[`,
		`{"Id":"l1","ProductId":7,"ProductName":"Mug","UnitPrice":12.00,"OldUnitPrice":10.00,"Quantity":2,"PictureUrl":"7.png"}`,
		`"OldUnitPrice":0.00`, // a line whose price never changed: a number, as eShop sends
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s:\n%s", want, body)
		}
	}
	var generic map[string]any
	if err := json.Unmarshal(m.Body, &generic); err != nil {
		t.Fatal(err)
	}
	if _, ok := generic["CreationDate"]; !ok {
		t.Errorf("no CreationDate: %s", body)
	}
	for _, card := range []string{"CardNumber", "CardSecurityNumber"} {
		if _, ok := generic[card]; ok {
			t.Errorf("the event carries %s: %s", card, body)
		}
	}
}
