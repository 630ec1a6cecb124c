package provider

import (
	"context"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// server is zitadel/oidc's LegacyServer (the library's provider behind its
// Server interface) with the two grants that issue ID tokens changed: the
// code exchange and the refresh. The library makes the access token and
// the ID token of one request with one audience, so an ID token carried
// "eshop", the APIs' audience, and the services took it for an access
// token. Here the ID token is made from a view of the request whose
// audience is the client alone (idTokenRequest): only access tokens are
// for the APIs. The rest is the library's, as LegacyServer does it.
type server struct {
	*op.LegacyServer
	provider *op.Provider
}

// CodeExchange is LegacyServer.CodeExchange, with tokenResponse.
func (s server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	authReq, err := op.AuthRequestByCode(ctx, s.provider.Storage(), r.Data.Code)
	if err != nil {
		return nil, err
	}
	if r.Client.AuthMethod() == oidc.AuthMethodNone || r.Data.CodeVerifier != "" {
		if err := op.AuthorizeCodeChallenge(r.Data.CodeVerifier, authReq.GetCodeChallenge()); err != nil {
			return nil, err
		}
	}
	if r.Client.GetID() != authReq.GetClientID() {
		return nil, oidc.ErrInvalidGrant()
	}
	if r.Data.RedirectURI != authReq.GetRedirectURI() {
		return nil, oidc.ErrInvalidGrant().WithDescription("redirect_uri does not correspond")
	}
	resp, err := s.tokenResponse(ctx, authReq, r.Client, r.Data.Code, "")
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// RefreshToken is LegacyServer.RefreshToken, with tokenResponse.
func (s server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	request, err := op.RefreshTokenRequestByRefreshToken(ctx, s.provider.Storage(), r.Data.RefreshToken)
	if err != nil {
		return nil, err
	}
	if r.Client.GetID() != request.GetClientID() {
		return nil, oidc.ErrInvalidGrant()
	}
	if err := op.ValidateRefreshTokenScopes(r.Data.Scopes, request); err != nil {
		return nil, err
	}
	resp, err := s.tokenResponse(ctx, request, r.Client, "", r.Data.RefreshToken)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// tokenResponse is op.CreateTokenResponse with the ID token made from
// idTokenRequest's view of the request.
func (s server) tokenResponse(ctx context.Context, request op.IDTokenRequest, client op.Client, code, refreshToken string) (*oidc.AccessTokenResponse, error) {
	accessToken, newRefreshToken, validity, err := op.CreateAccessToken(ctx, request, client.AccessTokenType(), s.provider, client, refreshToken)
	if err != nil {
		return nil, err
	}
	idToken, err := op.CreateIDToken(ctx, op.IssuerFromContext(ctx), idTokenRequest(request), client.IDTokenLifetime(), accessToken, code, s.provider.Storage(), client)
	if err != nil {
		return nil, err
	}
	if authReq, ok := request.(op.AuthRequest); ok {
		if err := s.provider.Storage().DeleteAuthRequest(ctx, authReq.GetID()); err != nil {
			return nil, err
		}
	}
	return &oidc.AccessTokenResponse{
		AccessToken:  accessToken,
		IDToken:      idToken,
		RefreshToken: newRefreshToken,
		TokenType:    oidc.BearerToken,
		ExpiresIn:    uint64(validity.Seconds()),
		Scope:        request.GetScopes(),
	}, nil
}

// idTokenRequest is the request as its ID token sees it: with the client
// alone for audience. It keeps the request's own type (a sign-in's nonce is
// read from it).
func idTokenRequest(request op.IDTokenRequest) op.IDTokenRequest {
	switch r := request.(type) {
	case authRequest:
		return authRequestIDToken{r}
	case *refreshRequest:
		return refreshRequestIDToken{r}
	}
	return request
}

type authRequestIDToken struct{ authRequest }

func (r authRequestIDToken) GetAudience() []string { return []string{r.ClientID} }

type refreshRequestIDToken struct{ *refreshRequest }

func (r refreshRequestIDToken) GetAudience() []string { return []string{r.ClientID} }
