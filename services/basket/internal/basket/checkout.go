package basket

import (
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Checkout is what a buyer sends to turn the basket into an order: where to
// ship and how to pay. RequestID makes the checkout idempotent: the same
// request id is accepted once.
type Checkout struct {
	BuyerID            string
	RequestID          uuid.UUID
	City               string
	Street             string
	State              string
	Country            string
	ZipCode            string
	CardNumber         string
	CardHolderName     string
	CardExpiration     time.Time
	CardSecurityNumber string
	CardTypeID         int
	Buyer              string
}

// maxTextLen bounds the free-text fields of a checkout.
const maxTextLen = 200

// Validate checks that every field is present and plausible at now (the
// card must not have expired). The problems never repeat the card data.
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
	if !digits(c.CardNumber, 12, 19) {
		p.add("cardNumber", "is required: 12 to 19 digits")
	}
	if !digits(c.CardSecurityNumber, 3, 4) {
		p.add("cardSecurityNumber", "is required: 3 or 4 digits")
	}
	switch {
	case c.CardExpiration.IsZero():
		p.add("cardExpiration", "is required (RFC 3339)")
	case !c.CardExpiration.After(now):
		p.add("cardExpiration", "the card has expired")
	}
	if c.CardTypeID <= 0 {
		p.add("cardTypeId", "is required: a positive integer")
	}
	return p
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

// LogValue keeps the card data out of any log a Checkout might reach.
func (c Checkout) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("buyer_id", c.BuyerID),
		slog.String("request_id", c.RequestID.String()),
		slog.String("card_number", MaskCardNumber(c.CardNumber)),
	)
}

// MaskCardNumber returns the card number with all but its last four digits
// hidden.
func MaskCardNumber(n string) string {
	if len(n) <= 4 {
		return strings.Repeat("*", len(n))
	}
	return strings.Repeat("*", len(n)-4) + n[len(n)-4:]
}
