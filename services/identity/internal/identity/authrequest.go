package identity

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ErrNotFound is returned for an authorization request, a refresh token or
// a key that does not exist (or no longer does).
var ErrNotFound = errors.New("identity: not found")

// CodeLifetime is how long an authorization code may be redeemed after it
// was issued: the client exchanges it at once (RFC 6749 recommends at most
// ten minutes).
const CodeLifetime = time.Minute

// RefreshTokenLifetime is how long the refresh tokens of a sign-in work,
// from the sign-in: renewing one does not make its sign-in younger.
const RefreshTokenLifetime = 30 * 24 * time.Hour

// ErrRefreshTokenReused is a refresh token used a second time: a copy of
// it is in someone else's hands. Its whole family (the tokens of its
// sign-in) is revoked.
var ErrRefreshTokenReused = fmt.Errorf("%w: the refresh token was used before; its sign-in's tokens are revoked", ErrNotFound)

// The longest state and nonce identity keeps for a sign-in, and the
// longest PKCE challenge (RFC 7636: 43 to 128 characters): a client needs
// no more, and a sign-in in progress is kept for a while.
const (
	MaxStateLength         = 512
	MaxNonceLength         = 512
	MaxCodeChallengeLength = 128
)

// AuthRequest is one sign-in in progress: what a client asked for at the
// authorization endpoint, and, once the user gave their password, who they
// are. Its code is handed to the client once; the exchange deletes it.
type AuthRequest struct {
	ID                  uuid.UUID
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	UserID              uuid.UUID // zero until the user signed in
	AuthTime            time.Time
	CreatedAt           time.Time
}

// Validate checks what the client sent: a state, a nonce and a challenge
// no longer than identity keeps.
func (r AuthRequest) Validate() error {
	switch {
	case len(r.State) > MaxStateLength:
		return fmt.Errorf("the state is longer than %d characters", MaxStateLength)
	case len(r.Nonce) > MaxNonceLength:
		return fmt.Errorf("the nonce is longer than %d characters", MaxNonceLength)
	case len(r.CodeChallenge) > MaxCodeChallengeLength:
		return fmt.Errorf("the code_challenge is longer than %d characters", MaxCodeChallengeLength)
	}
	return nil
}

// Done reports whether the user has signed in.
func (r AuthRequest) Done() bool { return r.UserID != uuid.Nil }

// RefreshToken is what a refresh token stands for: the user's grant to a
// client. Each use replaces it with a new one of the same family (the
// sign-in), expiring RefreshTokenLifetime after the sign-in.
type RefreshToken struct {
	Token     string
	Family    uuid.UUID
	UserID    uuid.UUID
	ClientID  string
	Scopes    []string
	Audience  []string
	AuthTime  time.Time
	ExpiresAt time.Time
}
