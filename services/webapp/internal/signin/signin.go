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
// The server-side session holds the sign-in in progress (state, nonce,
// PKCE verifier, the page to go back to) and, once signed in, the id of
// the session's grant: the user and the tokens, sealed with SESSION_KEY
// (see sealer), kept beside the sessions and changed only in place (see
// grants). The browser only holds the session cookie; tokens never reach
// it, nor the logs, nor a URL: the sign-out revokes the refresh token at
// the provider and sends the browser to its end-session endpoint with the
// client's id, not the ID token.
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
	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"golang.org/x/oauth2"
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
	// Lifetime is how long a sign-in lasts at most (the session's
	// lifetime): then its grant ends, and its streams.
	Lifetime time.Duration
	// MaxStreams is how many streams a signed-in session may have open at
	// once.
	MaxStreams int
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
	keyGrant   = "grant"
	keyPending = "signin"
)

// OIDC signs users in and out and keeps their tokens fresh.
type OIDC struct {
	cfg      Config
	sessions *scs.SessionManager
	client   *http.Client
	seal     *sealer
	grants   grants

	mu       sync.Mutex
	provider *discovered
}

// discovered is what the provider's discovery document says.
type discovered struct {
	oauth      *oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string
	revocation string
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
		Revocation string `json:"revocation_endpoint"`
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
		revocation: doc.Revocation,
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
	sealed, err := o.sealTokens(token)
	if err != nil {
		return "", err
	}
	o.sessions.Put(ctx, keyGrant, o.grants.start(user, sealed, o.lifetime()))
	return s.ReturnTo, nil
}

// User returns the signed-in user.
func (o *OIDC) User(ctx context.Context) (User, bool) {
	_, g, ok := o.grant(ctx)
	if !ok {
		return User{}, false
	}
	return g.user, true
}

// grant returns the session's grant and its id, if it is signed in.
func (o *OIDC) grant(ctx context.Context) (string, *grant, bool) {
	id := o.sessions.GetString(ctx, keyGrant)
	if id == "" {
		return "", nil, false
	}
	g, ok := o.grants.get(id)
	return id, g, ok
}

// AccessToken returns the signed-in user's access token, refreshed when it
// has expired. ErrSignedOut: nobody is signed in, or the provider refused
// the refresh (the session is then signed out).
func (o *OIDC) AccessToken(ctx context.Context) (string, error) {
	id, g, ok := o.grant(ctx)
	if !ok {
		return "", ErrSignedOut
	}
	if t, err := o.openTokens(o.grants.tokens(g)); err != nil {
		return "", err
	} else if t.Valid() {
		return t.AccessToken, nil
	}
	// One refresh at a time per grant: the provider replaces the refresh
	// token at each use, so a second request waits and finds the tokens
	// fresh.
	g.refreshing.Lock()
	defer g.refreshing.Unlock()
	t, err := o.openTokens(o.grants.tokens(g))
	if err != nil {
		return "", err
	}
	if t.Valid() {
		return t.AccessToken, nil
	}
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	fresh, err := p.oauth.TokenSource(o.clientContext(context.WithoutCancel(ctx)), t).Token()
	if err != nil {
		var refused *oauth2.RetrieveError
		if errors.As(err, &refused) && refused.Response != nil && refused.Response.StatusCode < 500 {
			o.grants.end(id)
			return "", ErrSignedOut
		}
		return "", providerError("refresh the access token", err)
	}
	sealed, err := o.sealTokens(fresh)
	if err != nil {
		return "", err
	}
	if !o.grants.replace(id, g, sealed) {
		return "", ErrSignedOut // signed out meanwhile
	}
	return fresh.AccessToken, nil
}

// Stream opens one more stream of the signed-in session: it returns a
// channel closed when the session's sign-in ends (sign-out, expiry), and
// the function that closes the stream. ErrSignedOut: nobody is signed in;
// ErrTooManyStreams: the session has Config.MaxStreams open.
func (o *OIDC) Stream(ctx context.Context) (<-chan struct{}, func(), error) {
	_, g, ok := o.grant(ctx)
	if !ok {
		return nil, nil, ErrSignedOut
	}
	return o.grants.openStream(g, max(o.cfg.MaxStreams, 1))
}

// End signs the session out and returns where to send the browser: the
// provider's end-session endpoint, which comes back to the post-logout
// URL; "/" when the provider has none or cannot be reached (the session
// here is signed out all the same). The refresh token is revoked at the
// provider first (RFC 7009), so that the URL needs no id_token_hint: the
// provider keeps no session of its own, and an ID token in a URL ends up
// in histories and logs.
func (o *OIDC) End(ctx context.Context) string {
	sealed := o.grants.end(o.sessions.GetString(ctx, keyGrant))
	o.sessions.Remove(ctx, keyGrant)
	_ = o.sessions.RenewToken(ctx)
	p, err := o.discover(ctx)
	if err != nil {
		return "/"
	}
	if t, err := o.openTokens(sealed); err == nil && t.RefreshToken != "" && p.revocation != "" {
		o.revoke(ctx, p, t.RefreshToken)
	}
	if p.endSession == "" {
		return "/"
	}
	q := url.Values{"post_logout_redirect_uri": {o.cfg.PostLogoutURL}, "client_id": {o.cfg.ClientID}}
	return p.endSession + "?" + q.Encode()
}

// revoke revokes a refresh token at the provider, as the confidential
// client. A failure is logged, not the user's: the token expires anyway.
func (o *OIDC) revoke(ctx context.Context, p *discovered, refreshToken string) {
	form := url.Values{"token": {refreshToken}, "token_type_hint": {"refresh_token"}}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, p.revocation, strings.NewReader(form.Encode()))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(o.cfg.ClientID), url.QueryEscape(o.cfg.ClientSecret))
	res, err := o.client.Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			err = fmt.Errorf("the provider answered %s", res.Status)
		}
	}
	if err != nil {
		httpapi.LoggerFrom(ctx).WarnContext(ctx, "the refresh token could not be revoked at sign-out", "error", err)
	}
}

func (o *OIDC) lifetime() time.Duration {
	if o.cfg.Lifetime > 0 {
		return o.cfg.Lifetime
	}
	return 12 * time.Hour
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

// MaxReturnTo is the longest path a sign-in goes back to: the session
// keeps it meanwhile.
const MaxReturnTo = 2048

// LocalPath returns p when it is a path of this site ("/basket?x=1") no
// longer than MaxReturnTo, else "/": a sign-in never sends the browser
// elsewhere.
func LocalPath(p string) string {
	if len(p) > MaxReturnTo || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
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
