package provider

import (
	"slices"
	"time"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// client is an identity.Client as the OpenID Connect library asks about it.
type client struct {
	identity.Client
	loginURL string // the login page; the auth request id is appended
}

var _ op.Client = client{}

func (c client) GetID() string                    { return c.ID }
func (c client) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }
func (c client) LoginURL(id string) string        { return c.loginURL + id }
func (c client) AccessTokenType() op.AccessTokenType {
	return op.AccessTokenTypeJWT
}
func (c client) IDTokenLifetime() time.Duration { return time.Hour }
func (c client) DevMode() bool                  { return false }

// IDTokenUserinfoClaimsAssertion puts the claims the scopes ask for (name,
// email) into the ID token too, so the storefront needs no userinfo call.
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c client) ClockSkew() time.Duration             { return 0 }
func (c client) IsScopeAllowed(string) bool           { return false }

// ApplicationType: a public client runs on the user's machine (native: its
// redirect URI may be any loopback port); the others are web applications.
func (c client) ApplicationType() op.ApplicationType {
	if c.Public() {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

func (c client) AuthMethod() oidc.AuthMethod {
	if c.Public() {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c client) ResponseTypes() []oidc.ResponseType {
	if c.Machine() {
		return nil
	}
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c client) GrantTypes() []oidc.GrantType {
	if c.Machine() {
		return []oidc.GrantType{oidc.GrantTypeClientCredentials}
	}
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

func keepAll(scopes []string) []string { return scopes }

func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string     { return keepAll }
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string { return keepAll }

// hasGrant reports whether the client may use the grant type.
func (c client) hasGrant(g oidc.GrantType) bool { return slices.Contains(c.GrantTypes(), g) }
