package provider

import (
	"time"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Audience is the audience of every access token: the eShop's APIs. An ID
// token's audience is the client it was issued to, with this beside it
// (and the client as its authorized party, azp).
const Audience = "eshop"

// authRequest is an identity.AuthRequest as the library asks about it.
type authRequest struct{ identity.AuthRequest }

var _ op.AuthRequest = authRequest{}

func (r authRequest) GetID() string                      { return r.ID.String() }
func (r authRequest) GetACR() string                     { return "" }
func (r authRequest) GetAMR() []string                   { return amr(r.Done()) }
func (r authRequest) GetAudience() []string              { return []string{r.ClientID, Audience} }
func (r authRequest) GetAuthTime() time.Time             { return r.AuthTime }
func (r authRequest) GetClientID() string                { return r.ClientID }
func (r authRequest) GetNonce() string                   { return r.Nonce }
func (r authRequest) GetRedirectURI() string             { return r.RedirectURI }
func (r authRequest) GetScopes() []string                { return r.Scopes }
func (r authRequest) GetState() string                   { return r.State }
func (r authRequest) GetSubject() string                 { return subject(r.Done(), r.UserID.String()) }
func (r authRequest) Done() bool                         { return r.AuthRequest.Done() }
func (r authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(r.ResponseType) }
func (r authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(r.ResponseMode) }
func (r authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: oidc.CodeChallengeMethod(r.CodeChallengeMethod)}
}

// amr is the authentication method of a signed-in user: a password.
func amr(done bool) []string {
	if !done {
		return nil
	}
	return []string{"pwd"}
}

func subject(done bool, id string) string {
	if !done {
		return ""
	}
	return id
}

// refreshRequest is an identity.RefreshToken as the library asks about it.
type refreshRequest struct{ identity.RefreshToken }

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return amr(true) }
func (r *refreshRequest) GetAudience() []string       { return r.Audience }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.Scopes }
func (r *refreshRequest) GetSubject() string          { return r.UserID.String() }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.Scopes = s }

// machineRequest is a client credentials grant: the client asks for itself.
type machineRequest struct {
	clientID string
	scopes   []string
}

func (r machineRequest) GetSubject() string    { return r.clientID }
func (r machineRequest) GetAudience() []string { return []string{Audience} }
func (r machineRequest) GetScopes() []string   { return r.scopes }
