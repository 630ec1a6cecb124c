package events_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
)

// FuzzDecodeCheckoutAccepted feeds arbitrary bodies to the decoding and
// validation of basket's checkout: never a panic; a body is either refused
// as an invalid event (parked at once) or makes an order that every later
// step can take.
func FuzzDecodeCheckoutAccepted(f *testing.F) {
	valid := `{"Id":"6f1c9f0e-1b9e-4d3c-9d7e-0c1c2b3a4d5e","CreationDate":"2026-11-25T10:00:00Z","UserId":"alice","UserName":"Alice",` +
		`"City":"Redmond","Street":"1 Main St","State":"WA","Country":"U.S.","ZipCode":"98052",` +
		`"PaymentToken":"eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn","CardLast4":"1881","CardHolderName":"Alice",` +
		`"CardExpiration":"2030-01-01T00:00:00Z","CardTypeId":2,"Buyer":"alice","RequestId":"0b6f4a3e-3c55-4c0e-9a59-2d6f0f6f1c11",` +
		`"Basket":{"BuyerId":"alice","Items":[{"Id":"l1","ProductId":7,"ProductName":"Mug","UnitPrice":19.50,"OldUnitPrice":0,"Quantity":2,"PictureUrl":"7.png"}]}}`
	for _, seed := range []string{
		valid,
		strings.Replace(valid, `"City":"Redmond",`, ``, 1),
		strings.Replace(valid, `"PaymentToken":"eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn",`, ``, 1),
		strings.Replace(valid, `"1881"`, `"XXXXXXXXXXXX1881"`, 1),
		strings.Replace(valid, `"2030-01-01T00:00:00Z"`, `"2020-01-01T00:00:00Z"`, 1),
		strings.Replace(valid, `"ProductId":7`, `"ProductId":2147483648`, 1),
		strings.Replace(valid, `"CardTypeId":2`, `"CardTypeId":2147483648`, 1),
		strings.Replace(valid, `"UnitPrice":19.50`, `"UnitPrice":0`, 1),
		strings.Replace(valid, `"UnitPrice":19.50`, `"UnitPrice":1e2147483647`, 1),
		strings.Replace(valid, `"UnitPrice":19.50`, `"UnitPrice":9e9999`, 1),
		strings.Replace(valid, `"UnitPrice":19.50`, `"UnitPrice":1e-10000`, 1),
		strings.Replace(valid, `"OldUnitPrice":0`, `"OldUnitPrice":1e10000`, 1),
		strings.Replace(valid, `"Quantity":2`, `"Quantity":-5`, 1),
		strings.Replace(valid, `"RequestId":"0b6f4a3e-3c55-4c0e-9a59-2d6f0f6f1c11"`, `"RequestId":"00000000-0000-0000-0000-000000000000"`, 1),
		strings.Replace(valid, `"Items":[`, `"Items":[],"x":[`, 1),
		strings.Replace(valid, `"Redmond"`, `"Red\u0000mond"`, 1),
		`{}`, `[]`, `null`, ``, `{"UserId":`,
	} {
		f.Add([]byte(seed))
	}
	name := events.UserCheckoutAcceptedIntegrationEvent{}.EventName()
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := eventbus.Decode[events.UserCheckoutAcceptedIntegrationEvent](eventbus.Message{Name: name, Body: body})
		if err != nil {
			if !errors.Is(err, eventbus.ErrInvalidEvent) {
				t.Fatalf("%q: %v, want an ErrInvalidEvent", body, err)
			}
			return
		}
		o, err := e.Order()
		if err != nil {
			if !errors.Is(err, eventbus.ErrInvalidEvent) {
				t.Fatalf("%q: %v, want an ErrInvalidEvent", body, err)
			}
			return
		}
		checkedOutAt := e.CreationDate
		if checkedOutAt.IsZero() {
			checkedOutAt = time.Now().Add(-time.Minute)
		}
		if len(o.Items) == 0 || o.Card.PaymentToken == "" || len(o.Card.Last4) != 4 || o.Address.City == "" ||
			o.Card.TypeID < 1 || o.Card.TypeID > 1<<31-1 ||
			!o.Card.Expiration.After(checkedOutAt) {
			t.Fatalf("accepted %q as %+v", body, o)
		}
		for _, it := range o.Items {
			if it.ProductID < 1 || it.ProductID > 1<<31-1 || it.Units < 1 || !it.UnitPrice.IsPositive() || !it.UnitPrice.HasCents() {
				t.Fatalf("accepted the line %+v from %q", it, body)
			}
		}
	})
}
