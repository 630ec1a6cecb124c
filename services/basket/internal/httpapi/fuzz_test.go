package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/google/uuid"
)

// FuzzDecodeItems feeds arbitrary PUT bodies to the decoding and validation
// of a basket: it must never panic, and it must either refuse the body with
// a 4xx problem or return items that keep every basket rule.
func FuzzDecodeItems(f *testing.F) {
	seeds := []string{
		`{"items":[{"productId":1,"productName":"Mug","unitPrice":9.5,"quantity":2,"pictureUrl":"1.png"}]}`,
		`{"items":[]}`,
		`{}`,
		`{"items":null}`,
		`{"items":[{"productId":1,"productName":"Mug","quantity":2}]}`,
		`{"items":[{"productId":-1,"productName":"","unitPrice":-1,"quantity":0}]}`,
		`{"items":[{"productId":1,"productName":"Mug","unitPrice":1.005,"quantity":1001}]}`,
		`{"items":[{"productId":1,"productName":"Mug","unitPrice":"1.00","quantity":1}]}`,
		`{"items":[{"productId":1e30,"productName":"Mug","unitPrice":1e30,"quantity":1}]}`,
		`{"items":[{"productId":1,"productName":"Mug","unitPrice":1e-7,"quantity":1.5}]}`,
		`{"items":[{"productId":1,"productName":"Mug","unitPrice":1e2147483647,"quantity":1}]}`,
		`{"items":[{"productId":1,"productName":"Mug","unitPrice":1e-10000,"quantity":1}]}`,
		`{"items":{}}`,
		`[]`,
		`{"items":[{}]} {}`,
		`{"items":[{"productId":1,"productName":"\u0000","unitPrice":0,"quantity":1}]}`,
		`{"items":[{"productId":1,"productName":"Mug","unitPrice":0,"quantity":1,"pictureUrl":"a\u0000"}]}`,
		``,
		`nul`,
	}
	testkit.FuzzRequestBody(f, http.MethodPut, "/api/basket/alice", seeds, decodeItems, func(t *testing.T, body string, items []basket.Item) {
		if problems := basket.ValidateItems(items); len(problems) > 0 {
			t.Fatalf("accepted %q with problems %v", body, problems)
		}
		for _, it := range items {
			if it.ProductID <= 0 || it.Quantity < 1 || it.Quantity > 1000 || it.UnitPrice.IsNegative() || !it.UnitPrice.HasCents() || strings.TrimSpace(it.ProductName) == "" ||
				strings.ContainsRune(it.ProductName, 0) || strings.ContainsRune(it.PictureURL, 0) {
				t.Fatalf("accepted a bad line %+v from %q", it, body)
			}
		}
	})
}

// FuzzDecodeCheckout does the same for checkout bodies: never a panic, a
// 4xx problem, or a checkout that keeps every rule.
func FuzzDecodeCheckout(f *testing.F) {
	valid := `{"city":"Redmond","street":"1 Main St","state":"WA","country":"U.S.","zipCode":"98052",` +
		`"paymentToken":"eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn","cardLast4":"1881","cardHolderName":"Alice",` +
		`"cardExpiration":"2030-01-01T00:00:00Z","cardTypeId":1,"buyer":"Alice"}`
	seeds := []string{
		valid,
		strings.Replace(valid, `"2030-01-01T00:00:00Z"`, `"2020-01-01T00:00:00Z"`, 1),
		strings.Replace(valid, `"2030-01-01T00:00:00Z"`, `"soon"`, 1),
		strings.Replace(valid, `"1881"`, `1881`, 1),
		strings.Replace(valid, `"1881"`, `"188a"`, 1),
		strings.Replace(valid, `"eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn"`, `"a token"`, 1),
		strings.Replace(valid, `"cardTypeId":1`, `"cardTypeId":99`, 1),
		strings.Replace(valid, `"Redmond"`, `"Red\u0000mond"`, 1),
		strings.Replace(valid, `"cardLast4":"1881"`, `"cardNumber":"4012888888881881","cardSecurityNumber":"123"`, 1),
		`{}`, `[]`, `null`, ``, `{"city":`,
	}
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	decode := func(r *http.Request) (basket.Checkout, *httpkit.Problem) {
		return decodeCheckout(r, auth.Claims{Subject: "alice", Name: "Alice"}, uuid.New(), now)
	}
	testkit.FuzzRequestBody(f, http.MethodPost, "/api/basket/alice/checkout", seeds, decode, func(t *testing.T, body string, c basket.Checkout) {
		if problems := c.Validate(now); len(problems) > 0 || c.BuyerID != "alice" || c.Buyer != "Alice" || !c.CardExpiration.After(now) {
			t.Fatalf("accepted %q with problems %v", body, problems)
		}
	})
}
