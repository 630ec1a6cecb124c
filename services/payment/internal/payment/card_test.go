package payment_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func validCard() payment.Card {
	return payment.Card{Number: "4012888888881881", HolderName: "Alice", Expiration: now.AddDate(1, 0, 0), TypeID: 2}
}

func TestValidateCard(t *testing.T) {
	if p := payment.ValidateCard(validCard(), "123", now); len(p) != 0 {
		t.Fatalf("valid card: %v", p)
	}
	for _, number := range []string{"378282246310005", "5555555555554444", "4111111111111111"} {
		c := validCard()
		c.Number = number
		if p := payment.ValidateCard(c, "1234", now); len(p) != 0 {
			t.Errorf("%s: %v", number, p)
		}
	}
	cases := []struct {
		name, field, code string
		edit              func(*payment.Card)
	}{
		{"Luhn", "cardNumber", "123", func(c *payment.Card) { c.Number = "4012888888881882" }},
		{"too short", "cardNumber", "123", func(c *payment.Card) { c.Number = "42" }},
		{"not digits", "cardNumber", "123", func(c *payment.Card) { c.Number = "4012-8888-8888-1881" }},
		{"no holder", "cardHolderName", "123", func(c *payment.Card) { c.HolderName = " " }},
		{"holder with a NUL", "cardHolderName", "123", func(c *payment.Card) { c.HolderName = "A\x00" }},
		{"expired", "cardExpiration", "123", func(c *payment.Card) { c.Expiration = now.Add(-time.Second) }},
		{"no expiration", "cardExpiration", "123", func(c *payment.Card) { c.Expiration = time.Time{} }},
		{"code of 2 digits", "cardSecurityNumber", "12", func(*payment.Card) {}},
		{"code of 5 digits", "cardSecurityNumber", "12345", func(*payment.Card) {}},
		{"code not digits", "cardSecurityNumber", "12a", func(*payment.Card) {}},
		{"unknown type", "cardTypeId", "123", func(c *payment.Card) { c.TypeID = 99 }},
	}
	for _, tc := range cases {
		c := validCard()
		tc.edit(&c)
		p := payment.ValidateCard(c, tc.code, now)
		if len(p[tc.field]) == 0 {
			t.Errorf("%s: problems %v do not name %s", tc.name, p, tc.field)
		}
		if text := strings.Join(p[tc.field], " "); strings.Contains(text, c.Number) || strings.Contains(text, tc.code) {
			t.Errorf("%s: the problem repeats the card: %q", tc.name, text)
		}
	}
}

func TestTokensSealAndOpen(t *testing.T) {
	tokens, err := payment.NewTokens(payment.RandomTokenKey(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	card := validCard()
	token, expiresAt, err := tokens.Seal(card, "b1", now)
	if err != nil {
		t.Fatal(err)
	}
	if !expiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("expires at %s, want an hour after %s", expiresAt, now)
	}
	if strings.Contains(token, card.Number) || strings.Contains(token, "Alice") {
		t.Fatalf("the token shows the card: %s", token)
	}
	got, err := tokens.Open(token, now.Add(59*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Card; c.Number != card.Number || c.HolderName != card.HolderName || !c.Expiration.Equal(card.Expiration) || c.TypeID != card.TypeID ||
		got.Buyer != "b1" || !got.ExpiresAt.Equal(expiresAt) || got.ID == "" {
		t.Fatalf("opened %+v, want %+v for b1", got, card)
	}
	if again, _, _ := tokens.Seal(card, "b1", now); again == token {
		t.Fatal("two tokens of one card are the same")
	} else if second, _ := tokens.Open(again, now); second.ID == got.ID {
		t.Fatal("two tokens of one card have the same id")
	}
	if _, err := tokens.Open(token, expiresAt); !errors.Is(err, payment.ErrTokenExpired) {
		t.Fatalf("at its expiry: %v, want ErrTokenExpired", err)
	}

	other, _ := payment.NewTokens(payment.RandomTokenKey(), time.Hour)
	tampered := []byte(token)
	tampered[len(tampered)-5] ^= 1
	for name, bad := range map[string]string{
		"another key's": func() string { s, _, _ := other.Seal(card, "b1", now); return s }(),
		"changed":       string(tampered),
		"not a token":   "4012888888881881",
		"empty":         "",
	} {
		if _, err := tokens.Open(bad, now); !errors.Is(err, payment.ErrTokenInvalid) {
			t.Errorf("%s token: %v, want ErrTokenInvalid", name, err)
		}
	}
}

func TestTokenKey(t *testing.T) {
	var k payment.TokenKey
	if err := k.UnmarshalText([]byte("ZGVtby1vbmx5LWtleS1kby1ub3QtdXNlLWluLXByb2Q=")); err != nil || len(k) != payment.TokenKeySize {
		t.Fatalf("a base64 key of 32 bytes: %v (%d bytes)", err, len(k))
	}
	if s := k.String(); strings.Contains(s, "demo") || s == "" {
		t.Fatalf("String() = %q shows the key", s)
	}
	for _, bad := range []string{"", "short", "ZGVtbw==", "not base64 at all!"} {
		err := new(payment.TokenKey).UnmarshalText([]byte(bad))
		if err == nil || (bad != "" && strings.Contains(err.Error(), bad)) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestSpentTokensPayOneOrderEachUntilTheyExpire(t *testing.T) {
	var spent payment.SpentTokens
	a := payment.Token{ID: "a", Buyer: "b1", ExpiresAt: now.Add(time.Hour)}
	b := payment.Token{ID: "b", Buyer: "b1", ExpiresAt: now.Add(time.Hour)}
	if err := spent.Spend(a, 7, now); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := spent.Spend(a, 7, now.Add(time.Minute)); err != nil {
		t.Fatalf("the same order again (a redelivered request): %v", err)
	}
	if err := spent.Spend(a, 8, now.Add(2*time.Minute)); !errors.Is(err, payment.ErrTokenSpent) {
		t.Fatalf("another order: %v, want ErrTokenSpent", err)
	}
	if err := spent.Spend(b, 8, now.Add(2*time.Minute)); err != nil {
		t.Fatalf("another token for that order: %v", err)
	}
	// Remembered until it expires, whatever else is spent meanwhile.
	if err := spent.Spend(a, 9, now.Add(59*time.Minute)); !errors.Is(err, payment.ErrTokenSpent) {
		t.Fatalf("before its expiry: %v, want ErrTokenSpent", err)
	}
}
