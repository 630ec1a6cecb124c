package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
)

var (
	// ErrInvalidToken is a token that does not verify: malformed, signed
	// with another key or algorithm, from another issuer, for another
	// audience, expired, or without a subject.
	ErrInvalidToken = errors.New("the bearer token is not valid")
	// ErrUnavailable is a token that cannot be checked now, because the
	// issuer's keys cannot be fetched.
	ErrUnavailable = errors.New("the bearer token cannot be checked now")
)

// Verifier checks access tokens against the issuer a service trusts.
type Verifier struct {
	oidc *oidc.IDTokenVerifier
}

// NewVerifier returns a verifier of the tokens cfg.Issuer signs for
// cfg.Audience. It contacts nothing: the keys are fetched when the first
// token arrives.
func NewVerifier(cfg Config) *Verifier {
	// go-oidc's verifier is made for ID tokens, and checks what an access
	// token in JWT form (RFC 9068) needs too: the signature and its
	// algorithm, iss, aud (ClientID) and exp.
	return &Verifier{oidc: oidc.NewVerifier(cfg.Issuer, newKeys(cfg), &oidc.Config{
		ClientID:             cfg.Audience,
		SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256},
	})}
}

// outcome is where keys records, for one Verify, that the keys could not
// be fetched.
type outcome struct{ unreachable error }

type outcomeKey struct{}

// Verify checks a raw token and returns its claims. The error wraps
// ErrInvalidToken or ErrUnavailable; it never holds the token.
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	var out outcome
	token, err := v.oidc.Verify(context.WithValue(ctx, outcomeKey{}, &out), raw)
	if out.unreachable != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrUnavailable, out.unreachable)
	}
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	var extra struct {
		Name     string   `json:"name"`
		Email    string   `json:"email"`
		Roles    []string `json:"roles"`
		ClientID string   `json:"client_id"`
	}
	if err := token.Claims(&extra); err != nil {
		return Claims{}, fmt.Errorf("%w: its claims: %w", ErrInvalidToken, err)
	}
	if token.Subject == "" {
		return Claims{}, fmt.Errorf("%w: it has no sub", ErrInvalidToken)
	}
	return Claims{Subject: token.Subject, Name: extra.Name, Email: extra.Email, Roles: extra.Roles, ClientID: extra.ClientID}, nil
}

// expired reports whether err is about an expired token.
func expired(err error) bool {
	var e *oidc.TokenExpiredError
	return errors.As(err, &e)
}
