package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

// FuzzDecodeCard feeds arbitrary POST /cards bodies to the decoding and
// validation of a card: never a panic; either a 4xx problem that does not
// repeat the card number, or a card that keeps every rule.
func FuzzDecodeCard(f *testing.F) {
	valid := `{"cardNumber":"4012888888881881","cardHolderName":"Alice","cardExpiration":"2030-01-01T00:00:00Z",` +
		`"cardSecurityNumber":"123","cardTypeId":2}`
	for _, seed := range []string{
		valid,
		strings.Replace(valid, `"4012888888881881"`, `"4012888888881882"`, 1),
		strings.Replace(valid, `"4012888888881881"`, `4012888888881881`, 1),
		strings.Replace(valid, `"4012888888881881"`, `"4012 8888 8888 1881"`, 1),
		strings.Replace(valid, `"2030-01-01T00:00:00Z"`, `"2020-01-01T00:00:00Z"`, 1),
		strings.Replace(valid, `"2030-01-01T00:00:00Z"`, `"soon"`, 1),
		strings.Replace(valid, `"123"`, `"12a"`, 1),
		strings.Replace(valid, `"cardTypeId":2`, `"cardTypeId":99`, 1),
		strings.Replace(valid, `"Alice"`, `"Al\u0000ice"`, 1),
		`{}`, `[]`, `null`, ``, `{"cardNumber":`,
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, BasePath+"/cards", strings.NewReader(body))
		card, p := decodeCard(r, now)
		if p != nil {
			if p.Status != http.StatusBadRequest && p.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d for %q, want 400 or 413", p.Status, body)
			}
			if text := fmt.Sprint(p.Errors); strings.Contains(text, "4012888888881881") {
				t.Fatalf("the problem repeats the card number: %s", text)
			}
			return
		}
		if problems := payment.ValidateCard(card, "123", now); len(problems) > 0 {
			t.Fatalf("accepted %q with problems %v", body, problems)
		}
	})
}
