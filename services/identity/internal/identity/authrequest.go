package identity

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// ErrNotFound is returned for an authorization request, a refresh token or
// a key that does not exist (or no longer does).
var ErrNotFound = errors.New("identity: not found")

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

// Done reports whether the user has signed in.
func (r AuthRequest) Done() bool { return r.UserID != uuid.Nil }

// RefreshToken is what a refresh token stands for: the user's grant to a
// client. Each use replaces it with a new one.
type RefreshToken struct {
	Token     string
	UserID    uuid.UUID
	ClientID  string
	Scopes    []string
	Audience  []string
	AuthTime  time.Time
	ExpiresAt time.Time
}
