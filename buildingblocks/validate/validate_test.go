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
