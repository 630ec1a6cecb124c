package payment

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eshop-go/eshop-go/buildingblocks/validate"
)

// Card is a payment card as payment holds it while it tokenizes or charges
// it. The security code is not part of it: it is checked at tokenization
// (ValidateCard) and then forgotten.
type Card struct {
	Number     string
	HolderName string
	Expiration time.Time
	TypeID     int
}

// CardTypes are the card types payment accepts, by id: the same ids
// ordering's GET /api/orders/cardtypes serves (services share the ids
// through the contract, not through code).
var CardTypes = map[int]string{1: "Amex", 2: "Visa", 3: "MasterCard"}

// maxHolderNameLen bounds the holder's name.
const maxHolderNameLen = 200

// Problems maps a field (as the API names it) to what is wrong with it. An
// empty Problems means valid. The messages never repeat the card data.
type Problems map[string][]string

func (p Problems) add(field, format string, args ...any) {
	p[field] = append(p[field], fmt.Sprintf(format, args...))
}

// ValidateCard checks a card and its security code at now: a number of 12
// to 19 digits that passes the Luhn check, a holder, an expiration after
// now, a security code of 3 or 4 digits and a known card type.
func ValidateCard(c Card, securityCode string, now time.Time) Problems {
	p := Problems{}
	switch {
	case !digits(c.Number, 12, 19):
		p.add("cardNumber", "is required: 12 to 19 digits")
	case !luhn(c.Number):
		p.add("cardNumber", "is not a valid card number (Luhn check)")
	}
	switch name := strings.TrimSpace(c.HolderName); {
	case name == "":
		p.add("cardHolderName", "is required")
	case utf8.RuneCountInString(c.HolderName) > maxHolderNameLen || !validate.PlainText(c.HolderName):
		p.add("cardHolderName", "must be at most %d characters of text without control characters", maxHolderNameLen)
	}
	switch {
	case c.Expiration.IsZero():
		p.add("cardExpiration", "is required (RFC 3339)")
	case !c.Expiration.After(now):
		p.add("cardExpiration", "the card has expired")
	}
	if !digits(securityCode, 3, 4) {
		p.add("cardSecurityNumber", "is required: 3 or 4 digits")
	}
	if _, ok := CardTypes[c.TypeID]; !ok {
		p.add("cardTypeId", "is not a card type payment accepts (see GET /api/orders/cardtypes)")
	}
	return p
}

// MaxBuyerIDLen bounds the buyer a token is made for, as basket bounds a
// buyer id: a longer one has no basket to check out.
const MaxBuyerIDLen = 100

// ValidateBuyer adds to p what is wrong with the id of the buyer a token
// is made for: 1 to MaxBuyerIDLen characters of text.
func ValidateBuyer(p Problems, buyerID string) {
	if buyerID == "" || utf8.RuneCountInString(buyerID) > MaxBuyerIDLen || !validate.PlainText(buyerID) {
		p.add("buyerId", "is required: the buyer's id (the sub of their access token), 1 to %d characters of text", MaxBuyerIDLen)
	}
}

// Last4 returns the card number's last four digits, all the rest of the
// shop ever sees of it.
func (c Card) Last4() string {
	if len(c.Number) < 4 {
		return ""
	}
	return c.Number[len(c.Number)-4:]
}

// luhn reports whether a string of digits passes the Luhn check.
func luhn(number string) bool {
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func digits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
