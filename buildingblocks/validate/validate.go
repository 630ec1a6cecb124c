// Package validate holds the checks of untrusted text that several services
// make at their boundaries, so that a rule of the contract reads the same
// wherever it is enforced.
package validate

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// PlainText reports whether s is valid UTF-8 without control characters
// (PostgreSQL text cannot even hold a NUL).
func PlainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// MaxPaymentTokenLen is the longest payment token a service accepts.
const MaxPaymentTokenLen = 4096

// PaymentToken reports whether s has the shape of a payment token
// (docs/http-api.md, Payment): opaque to everyone but payment, but 1 to
// MaxPaymentTokenLen characters of base64url and dots.
func PaymentToken(s string) bool {
	if s == "" || len(s) > MaxPaymentTokenLen {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// MaxBuyerIDLen is the longest buyer id there is (docs/http-api.md,
// "Access"): a buyer id is the sub of the buyer's access token.
const MaxBuyerIDLen = 100

// BuyerID checks a buyer id, wherever one arrives (a path, a query, an
// event): 1 to MaxBuyerIDLen bytes of UTF-8, printable, without spaces.
func BuyerID(id string) error {
	if id == "" || len(id) > MaxBuyerIDLen || !utf8.ValidString(id) {
		return fmt.Errorf("must be 1 to %d characters", MaxBuyerIDLen)
	}
	for _, r := range id {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return errors.New("must hold no spaces or control characters")
		}
	}
	return nil
}
