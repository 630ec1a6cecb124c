package shop

import (
	"context"
	"errors"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/eshop-go/eshop-go/buildingblocks/oidclogin"
)

// The demo's client at identity: public, PKCE, a redirect URI nothing
// needs to listen on (identity's default IDENTITY_CLIENTS has it).
const (
	DemoClientID    = "demo"
	DemoRedirectURI = "http://localhost:8765/callback"
)

// SignIn signs a user in at the identity service (issuer) the way a
// browser does: authorization code with PKCE over HTTP with a cookie jar,
// as the demo client. The ID token is verified against the issuer's keys
// and its nonce; the user's id is its sub. The token source refreshes the
// access token when it expires.
func SignIn(ctx context.Context, issuer, email, password string) (User, error) {
	conf, err := oidclogin.Config(ctx, issuer, DemoClientID, DemoRedirectURI)
	if err != nil {
		return User{}, fmt.Errorf("sign in as %s: %w", email, err)
	}
	tokens, err := oidclogin.LoginWith(ctx, conf, email, password)
	if err != nil {
		return User{}, fmt.Errorf("sign in as %s: %w", email, err)
	}
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return User{}, fmt.Errorf("sign in as %s: %w", email, err)
	}
	id, err := provider.Verifier(&oidc.Config{ClientID: DemoClientID}).Verify(ctx, tokens.IDToken)
	if err != nil {
		return User{}, fmt.Errorf("sign in as %s: the ID token: %w", email, err)
	}
	if id.Nonce != tokens.Nonce {
		return User{}, errors.New("sign in as " + email + ": the ID token does not carry the nonce sent")
	}
	source := conf.TokenSource(context.WithoutCancel(ctx), tokens.Token)
	return User{ID: id.Subject, Name: email, Tokens: func(context.Context) (string, error) {
		t, err := source.Token()
		if err != nil {
			return "", err
		}
		return t.AccessToken, nil
	}}, nil
}
