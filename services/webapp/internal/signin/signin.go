// Package signin signs the storefront's users in and out at the shop's
// OpenID Connect provider (identity), as the confidential client `webapp`:
// the authorization code flow with PKCE (S256) and a nonce, the ID token
// verified with coreos/go-oidc, the access token refreshed with the refresh
// token when it expires, and the sign-out at the provider's end-session
// endpoint.
//
// The browser goes to the provider at its public URL (the issuer); the
// webapp reaches it at an internal URL, which may differ (compose,
// Kubernetes): every request the webapp itself makes to the public URL is
// sent to the internal one instead (see rewrite), so that discovery, keys,
// code exchange and refresh work, and the issuer checked is the public one.
//
// Everything lives in the server-side session: the sign-in in progress
// (state, nonce, PKCE verifier, the page to go back to), the user, and the
// tokens, sealed with SESSION_KEY (see sealer). The browser only holds the
// session cookie; tokens never reach it, nor the logs.
package signin

import (
	"context"
	"crypto/rand"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

// ErrSignedOut is a session without a user, or whose tokens the provider
// no longer refreshes: the user must sign in (again).
var ErrSignedOut = errors.New("not signed in")

// ErrProviderUnavailable is a provider that cannot be reached now.
var ErrProviderUnavailable = errors.New("the sign-in service is unavailable")

// Config is where the provider is and who the webapp is to it.
type Config struct {
	// IssuerURL is the provider's public URL: the issuer of its tokens,
	// where the browser signs in.
	IssuerURL string
	// InternalURL is where the webapp reaches the provider; empty or equal
	// to IssuerURL when that works from the webapp too.
	InternalURL            string
	ClientID, ClientSecret string
	// RedirectURL and PostLogoutURL are the webapp's registered callbacks.
	RedirectURL, PostLogoutURL string
	// Key seals the tokens in the session store.
	Key []byte
}

// User is who is signed in, from the verified ID token.
type User struct {
	Subject string
	Name    string
	Roles   []string
}

// IsAdmin reports whether the user has the admin role.
func (u User) IsAdmin() bool { return slices.Contains(u.Roles, "admin") }

// pending is a sign-in in progress, between the redirect to the provider
// and the callback.
type pending struct {
	State, Nonce, Verifier, ReturnTo string
}

func init() {
	gob.Register(User{})
	gob.Register(pending{})
}

// Session keys.
const (
	keyUser    = "user"
	keyTokens  = "tokens"
	keyPending = "signin"
)

// OIDC signs users in and out and keeps their tokens fresh.
type OIDC struct {
	cfg      Config
	sessions *scs.SessionManager
	client   *http.Client
	seal     *sealer
	refresh  singleflight.Group

	mu       sync.Mutex
	provider *discovered
}

// discovered is what the provider's discovery document says.
type discovered struct {
	oauth      *oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string
}

// providerTimeout bounds each request to the provider.
const providerTimeout = 10 * time.Second

// New returns the sign-in of cfg's client, keeping its state in sessions.
// Nothing is contacted: the provider's discovery document is read at the
// first sign-in (and again after a failure).
func New(cfg Config, sessions *scs.SessionManager) (*OIDC, error) {
	seal, err := newSealer(cfg.Key)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: providerTimeout, Transport: http.DefaultTransport}
	if internal := strings.TrimSuffix(cfg.InternalURL, "/"); internal != "" && internal != strings.TrimSuffix(cfg.IssuerURL, "/") {
		client.Transport = rewrite{from: strings.TrimSuffix(cfg.IssuerURL, "/"), to: internal, base: http.DefaultTransport}
	}
	return &OIDC{cfg: cfg, sessions: sessions, client: client, seal: seal}, nil
}

// clientContext is ctx with the HTTP client go-oidc and oauth2 use.
func (o *OIDC) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, o.client), o.client)
}

// discover returns the provider's endpoints, reading its discovery
// document the first time.
func (o *OIDC) discover(ctx context.Context) (*discovered, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.clientContext(ctx), o.cfg.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery: %w", ErrProviderUnavailable, err)
	}
	var doc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&doc)
	endpoint := p.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader // identity's confidential clients use client_secret_basic
	o.provider = &discovered{
		oauth: &oauth2.Config{
			ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
			Endpoint: endpoint, Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
		},
		verifier:   p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}),
		endSession: doc.EndSession,
	}
	return o.provider, nil
}

// Begin starts a sign-in that comes back to returnTo (a local path), and
// returns the provider's URL to send the browser to.
func (o *OIDC) Begin(ctx context.Context, returnTo string) (string, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	s := pending{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), ReturnTo: LocalPath(returnTo)}
	o.sessions.Put(ctx, keyPending, s)
	return p.oauth.AuthCodeURL(s.State, oauth2.S256ChallengeOption(s.Verifier), oidc.Nonce(s.Nonce)), nil
}

// Complete ends the sign-in the provider sent the browser back from with
// query: it checks the state, exchanges the code (with the PKCE verifier),
// verifies the ID token and its nonce, and keeps the user and the tokens
// in a new session. It returns the page to go back to.
func (o *OIDC) Complete(ctx context.Context, query url.Values) (string, error) {
	s, ok := o.sessions.Pop(ctx, keyPending).(pending)
	switch {
	case !ok:
		return "", errors.New("no sign-in is in progress in this browser")
	case query.Get("state") != s.State:
		return "", errors.New("the sign-in answer does not match the sign-in this browser started")
	case query.Get("error") != "":
		return "", fmt.Errorf("the sign-in service answered %s", query.Get("error"))
	}
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	token, err := p.oauth.Exchange(o.clientContext(ctx), query.Get("code"), oauth2.VerifierOption(s.Verifier))
	if err != nil {
		return "", providerError("exchange the code", err)
	}
	raw, _ := token.Extra("id_token").(string)
	idToken, err := p.verifier.Verify(o.clientContext(ctx), raw)
	if err != nil {
		return "", providerError("verify the ID token", err)
	}
	if idToken.Nonce != s.Nonce {
		return "", errors.New("the ID token does not carry this sign-in's nonce")
	}
	var claims struct {
		Name  string   `json:"name"`
		Email string   `json:"email"`
		Roles []string `json:"roles"`
	}
	if err := idToken.Claims(&claims); err != nil {
		return "", fmt.Errorf("the ID token's claims: %w", err)
	}
	// A new session id at sign-in: one fixed before it is worth nothing.
	if err := o.sessions.RenewToken(ctx); err != nil {
		return "", err
	}
	user := User{Subject: idToken.Subject, Name: claims.Name, Roles: claims.Roles}
	if user.Name == "" {
		user.Name = cmpOr(claims.Email, idToken.Subject)
	}
	o.sessions.Put(ctx, keyUser, user)
	if err := o.keep(ctx, token, raw); err != nil {
		return "", err
	}
	return s.ReturnTo, nil
}

// User returns the signed-in user.
func (o *OIDC) User(ctx context.Context) (User, bool) {
	u, ok := o.sessions.Get(ctx, keyUser).(User)
	return u, ok
}

// AccessToken returns the signed-in user's access token, refreshed when it
// has expired. ErrSignedOut: nobody is signed in, or the provider refused
// the refresh (the session is then signed out).
func (o *OIDC) AccessToken(ctx context.Context) (string, error) {
	t, err := o.tokens(ctx)
	if err != nil {
		return "", err
	}
	if t.Token.Valid() {
		return t.AccessToken, nil
	}
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	// Concurrent requests of one session refresh once: the provider
	// replaces the refresh token at each use.
	v, err, _ := o.refresh.Do(t.RefreshToken, func() (any, error) {
		return p.oauth.TokenSource(o.clientContext(context.WithoutCancel(ctx)), t.Token).Token()
	})
	if err != nil {
		var refused *oauth2.RetrieveError
		if errors.As(err, &refused) && refused.Response != nil && refused.Response.StatusCode < 500 {
			o.forget(ctx)
			return "", ErrSignedOut
		}
		return "", providerError("refresh the access token", err)
	}
	fresh := v.(*oauth2.Token)
	if err := o.keep(ctx, fresh, t.IDToken); err != nil {
		return "", err
	}
	return fresh.AccessToken, nil
}

// End signs the session out and returns where to send the browser: the
// provider's end-session endpoint, which ends the sign-in there and comes
// back to the post-logout URL; "/" when the provider has none or cannot be
// reached (the session here is signed out all the same).
func (o *OIDC) End(ctx context.Context) string {
	t, _ := o.tokens(ctx)
	o.forget(ctx)
	_ = o.sessions.RenewToken(ctx)
	p, err := o.discover(ctx)
	if err != nil || p.endSession == "" || t.IDToken == "" {
		return "/"
	}
	q := url.Values{"id_token_hint": {t.IDToken}, "post_logout_redirect_uri": {o.cfg.PostLogoutURL}, "client_id": {o.cfg.ClientID}}
	return p.endSession + "?" + q.Encode()
}

// forget removes the user and the tokens from the session.
func (o *OIDC) forget(ctx context.Context) {
	o.sessions.Remove(ctx, keyUser)
	o.sessions.Remove(ctx, keyTokens)
}

// providerError says what failed, wrapping ErrProviderUnavailable when the
// provider could not be reached or failed, so the page shows 502.
func providerError(what string, err error) error {
	var refused *oauth2.RetrieveError
	if errors.As(err, &refused) && refused.Response != nil && refused.Response.StatusCode < 500 {
		return fmt.Errorf("%s: the sign-in service refused: %s", what, refused.ErrorCode)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) || errors.As(err, &refused) {
		return fmt.Errorf("%w: %s: %w", ErrProviderUnavailable, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// LocalPath returns p when it is a path of this site ("/basket?x=1"), else
// "/": a sign-in never sends the browser elsewhere.
func LocalPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
