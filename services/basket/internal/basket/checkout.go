package basket

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/eshop-go/eshop-go/buildingblocks/validate"
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

// maxTextLen bounds the free-text fields of a checkout.
const maxTextLen = 200

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
		case utf8.RuneCountInString(v) > maxTextLen || !validate.PlainText(v):
			p.add(field, "must be at most %d characters of text without control characters", maxTextLen)
		}
	}
	if !validate.PaymentToken(c.PaymentToken) {
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
