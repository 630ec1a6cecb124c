package auth

import (
	"context"
	"slices"
)

// RoleAdmin is the role of the shop's administrators: they edit the
// catalog, ship orders and read any order.
const RoleAdmin = "admin"

// Claims is who a verified token says the caller is.
type Claims struct {
	// Subject is the user's id (sub): the buyer id of baskets and orders.
	Subject string
	Name    string
	Email   string
	Roles   []string
	// ClientID is the client the token was issued to (client_id), when the
	// token names it.
	ClientID string
}

// IsClientItself reports whether the token is a client's own, got with
// client credentials: its sub is the client's id (RFC 9068, 2.2), and no
// user is behind it. Such a caller is no buyer: it has no basket and does
// not check out.
func (c Claims) IsClientItself() bool { return c.ClientID != "" && c.Subject == c.ClientID }

// HasRole reports whether the claims grant role.
func (c Claims) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// DisplayName is the name to show for the caller: the name claim, else the
// email, else the subject.
func (c Claims) DisplayName() string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Email != "":
		return c.Email
	}
	return c.Subject
}

type claimsKey struct{}

// From returns the claims of the request's verified token. Outside
// [Verifier.Authenticate] they are the zero Claims: no subject and no
// role, so that every check against them fails.
func From(ctx context.Context) Claims {
	c, _ := ctx.Value(claimsKey{}).(Claims)
	return c
}
