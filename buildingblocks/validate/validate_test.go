package validate_test

import (
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/validate"
)

func TestPlainText(t *testing.T) {
	for _, s := range []string{"", "Redmond", "15703 NE 61st Ct", "Zürich", "東京"} {
		if !validate.PlainText(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"a\x00b", "tab\there", "line\n", "\xff", "bell\a"} {
		if validate.PlainText(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestPaymentToken(t *testing.T) {
	for _, s := range []string{"eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn", "a", strings.Repeat("a", validate.MaxPaymentTokenLen)} {
		if !validate.PaymentToken(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "a b", "a+b/c=", "a\x00", strings.Repeat("a", validate.MaxPaymentTokenLen+1)} {
		if validate.PaymentToken(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

// A buyer id is the same rule in every service: basket's path, ordering's
// query, the storefront's events.
func TestBuyerID(t *testing.T) {
	for _, s := range []string{"bob", "9f2c4b1e-7d2a-4c41-9c2e-2f0b8d1e6a10", "Zoë", strings.Repeat("b", validate.MaxBuyerIDLen)} {
		if err := validate.BuyerID(s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
	for _, s := range []string{"", "a b", "a\x00b", "line\n", "\xff", "nbsp\u00a0", strings.Repeat("b", validate.MaxBuyerIDLen+1), strings.Repeat("é", 51)} {
		if validate.BuyerID(s) == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
