package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

// FuzzDecodeCard feeds arbitrary POST /cards bodies to the decoding and
// validation of a card: never a panic; either a 4xx problem that does not
// repeat the card number, or a card that keeps every rule.
func FuzzDecodeCard(f *testing.F) {
	valid := `{"cardNumber":"4012888888881881","cardHolderName":"Alice","cardExpiration":"2030-01-01T00:00:00Z",` +
		`"cardSecurityNumber":"123","cardTypeId":2,"buyerId":"b1"}`
	seeds := []string{
		valid,
		strings.Replace(valid, `"4012888888881881"`, `"4012888888881882"`, 1),
		strings.Replace(valid, `"4012888888881881"`, `4012888888881881`, 1),
		strings.Replace(valid, `"4012888888881881"`, `"4012 8888 8888 1881"`, 1),
		strings.Replace(valid, `"2030-01-01T00:00:00Z"`, `"2020-01-01T00:00:00Z"`, 1),
		strings.Replace(valid, `"2030-01-01T00:00:00Z"`, `"soon"`, 1),
		strings.Replace(valid, `"123"`, `"12a"`, 1),
		strings.Replace(valid, `"cardTypeId":2`, `"cardTypeId":99`, 1),
		strings.Replace(valid, `"Alice"`, `"Al\u0000ice"`, 1),
		strings.Replace(valid, `"b1"`, `""`, 1),
		strings.Replace(valid, `,"buyerId":"b1"`, ``, 1),
		strings.Replace(valid, `"b1"`, `"b\u0000"`, 1),
		strings.Replace(valid, `"b1"`, `"`+strings.Repeat("b", 101)+`"`, 1),
		`{}`, `[]`, `null`, ``, `{"cardNumber":`,
	}
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	type tokenFor struct {
		card  payment.Card
		buyer string
	}
	decode := func(r *http.Request) (tokenFor, *httpkit.Problem) {
		card, buyer, p := decodeCard(r, now)
		return tokenFor{card, buyer}, p
	}
	testkit.FuzzRequestBody(f, http.MethodPost, BasePath+"/cards", seeds, decode, func(t *testing.T, body string, v tokenFor) {
		problems := payment.ValidateCard(v.card, "123", now)
		payment.ValidateBuyer(problems, v.buyer)
		if len(problems) > 0 {
			t.Fatalf("accepted %q with problems %v", body, problems)
		}
	}, "4012888888881881")
}
