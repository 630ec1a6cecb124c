package payment

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TokenKeySize is the size of a TokenKey: AES-256.
const TokenKeySize = 32

// TokenKey seals and opens payment tokens. PAYMENT_TOKEN_KEY holds it,
// base64-encoded; every replica must have the same one to open the tokens
// the others sealed. It never shows itself in a log or a %v.
type TokenKey []byte

// UnmarshalText reads a base64-encoded key of TokenKeySize bytes. The
// error never repeats the text.
func (k *TokenKey) UnmarshalText(text []byte) error {
	raw, err := base64.StdEncoding.DecodeString(string(text))
	if err != nil {
		raw, err = base64.RawURLEncoding.DecodeString(string(text))
	}
	if err != nil || len(raw) != TokenKeySize {
		return fmt.Errorf("must be %d random bytes, base64-encoded (openssl rand -base64 %d)", TokenKeySize, TokenKeySize)
	}
	*k = raw
	return nil
}

// String hides the key.
func (k TokenKey) String() string { return "[redacted]" }

// LogValue hides the key from slog.
func (k TokenKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// RandomTokenKey returns a fresh random key: tokens it seals can be opened
// only by the process that holds it.
func RandomTokenKey() TokenKey {
	k := make(TokenKey, TokenKeySize)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
	return k
}

// Errors of Tokens.Open. Neither says anything of the token's content.
var (
	ErrTokenExpired = errors.New("payment: the payment token has expired")
	ErrTokenInvalid = errors.New("payment: the payment token cannot be opened")
)

// Tokens seals cards into opaque payment tokens and opens them again.
//
// A token is a JWT encrypted as a compact JWE with the shared key directly
// ("dir", A256GCM): only a holder of the key can read it, and any change to
// it makes it unopenable. It carries the card (never the security code),
// the buyer it was made for ("sub"), an id of its own ("jti", which
// SpentTokens remembers) and an "exp" claim TTL after sealing.
type Tokens struct {
	key TokenKey
	ttl time.Duration
	enc jose.Encrypter
}

// NewTokens returns Tokens that seal with key for ttl.
func NewTokens(key TokenKey, ttl time.Duration) (*Tokens, error) {
	if len(key) != TokenKeySize {
		return nil, fmt.Errorf("payment: a token key has %d bytes, not %d", len(key), TokenKeySize)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("payment: a token lifetime must be positive, not %s", ttl)
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: []byte(key)},
		(&jose.EncrypterOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("payment: token encrypter: %w", err)
	}
	return &Tokens{key: key, ttl: ttl, enc: enc}, nil
}

// cardClaims is the card as a token carries it.
type cardClaims struct {
	Number     string    `json:"card_number"`
	HolderName string    `json:"card_holder"`
	Expiration time.Time `json:"card_expiration"`
	TypeID     int       `json:"card_type"`
}

// A Token is what a payment token seals.
type Token struct {
	// ID tells the token from every other: SpentTokens keys on it.
	ID string
	// Buyer is the buyer the token was made for (their access token's
	// sub): it pays only that buyer's orders.
	Buyer     string
	Card      Card
	ExpiresAt time.Time
}

// Seal returns the token of card for buyer, valid until expiresAt (whole
// seconds).
func (t *Tokens) Seal(c Card, buyer string, now time.Time) (token string, expiresAt time.Time, err error) {
	expiresAt = now.Add(t.ttl).Truncate(time.Second).UTC()
	id := make([]byte, 16)
	_, _ = rand.Read(id) // crypto/rand.Read never fails (Go 1.24+)
	std := jwt.Claims{Expiry: jwt.NewNumericDate(expiresAt), Subject: buyer, ID: base64.RawURLEncoding.EncodeToString(id)}
	card := cardClaims{Number: c.Number, HolderName: c.HolderName, Expiration: c.Expiration.UTC(), TypeID: c.TypeID}
	token, err = jwt.Encrypted(t.enc).Claims(std).Claims(card).Serialize()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("payment: seal a token: %w", err)
	}
	return token, expiresAt, nil
}

// Open returns what a token sealed, or ErrTokenInvalid (not a token, a
// token sealed with another key, a changed one, one without a buyer or an
// id) or ErrTokenExpired (now is at or after its expiry).
func (t *Tokens) Open(token string, now time.Time) (Token, error) {
	parsed, err := jwt.ParseEncrypted(token, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return Token{}, ErrTokenInvalid
	}
	var std jwt.Claims
	var card cardClaims
	if err := parsed.Claims([]byte(t.key), &std, &card); err != nil || std.Expiry == nil || std.Subject == "" || std.ID == "" {
		return Token{}, ErrTokenInvalid
	}
	expiry := std.Expiry.Time().UTC()
	if !now.Before(expiry) {
		return Token{}, fmt.Errorf("%w (at %s)", ErrTokenExpired, expiry.Format(time.RFC3339))
	}
	return Token{ID: std.ID, Buyer: std.Subject, ExpiresAt: expiry,
		Card: Card{Number: card.Number, HolderName: card.HolderName, Expiration: card.Expiration, TypeID: card.TypeID}}, nil
}
