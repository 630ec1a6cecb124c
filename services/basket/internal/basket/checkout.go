package basket

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Checkout is what a buyer sends to turn the basket into an order: where to
// ship and how to pay. The card itself never reaches the basket: the
// buyer's client handed it to payment, which answered PaymentToken; the
// basket keeps only the token, the last four digits, the holder, the
// expiry and the type. RequestID makes the checkout idempotent: the same
// request id is accepted once.
type Checkout struct {
	BuyerID        string
	RequestID      uuid.UUID
	City           string
	Street         string
	State          string
	Country        string
	ZipCode        string
	PaymentToken   string
	CardLast4      string
	CardHolderName string
	CardExpiration time.Time
	CardTypeID     int
	Buyer          string
}

// cardTypes are the ids of the card types the shop accepts: those of
// ordering's GET /api/orders/cardtypes and of payment (each service keeps
// its own copy of the contract).
var cardTypes = map[int]bool{1: true, 2: true, 3: true}

// Limits of a checkout's fields.
const (
	maxTextLen  = 200
	maxTokenLen = 4096
)

// Validate checks that every field is present and plausible at now (the
// card must not have expired). The problems never repeat the token.
func (c Checkout) Validate(now time.Time) Problems {
	p := Problems{}
	text := map[string]string{
		"city": c.City, "street": c.Street, "state": c.State, "country": c.Country,
		"zipCode": c.ZipCode, "cardHolderName": c.CardHolderName, "buyer": c.Buyer,
	}
	for field, v := range text {
		switch {
		case strings.TrimSpace(v) == "":
			p.add(field, "is required")
		case utf8.RuneCountInString(v) > maxTextLen || !plainText(v):
			p.add(field, "must be at most %d characters of text without control characters", maxTextLen)
		}
	}
	if !tokenShaped(c.PaymentToken) {
		p.add("paymentToken", "is required: the token POST /api/payment/cards answered")
	}
	if len(c.CardLast4) != 4 || strings.Trim(c.CardLast4, "0123456789") != "" {
		p.add("cardLast4", "is required: the card number's last 4 digits")
	}
	switch {
	case c.CardExpiration.IsZero():
		p.add("cardExpiration", "is required (RFC 3339)")
	case !c.CardExpiration.After(now):
		p.add("cardExpiration", "the card has expired")
	}
	if !cardTypes[c.CardTypeID] {
		p.add("cardTypeId", "is not a card type the shop accepts (see GET /api/orders/cardtypes)")
	}
	return p
}

// tokenShaped reports whether s can be a payment token: opaque to the
// basket, but 1 to maxTokenLen characters of base64url and dots.
func tokenShaped(s string) bool {
	if s == "" || len(s) > maxTokenLen {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
