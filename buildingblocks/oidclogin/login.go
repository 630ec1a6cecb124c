// Package oidclogin signs a user in at an OpenID Connect provider the way a
// browser does, for programs that have no browser: the e2e story, the
// command-line demo, the identity service's tests. It runs the
// authorization code flow with PKCE (S256) over HTTP with a cookie jar:
// the authorization request, the provider's login form filled in and
// posted, the redirect with the code caught before it reaches the
// client's redirect URI, the code exchanged with the verifier.
//
// It speaks to the login form of this repository's identity service (a
// form with the fields email and password and hidden fields); any provider
// whose login page is such a form works. It does not verify the tokens:
// the caller does, as a resource server would.
package oidclogin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/oauth2"
)

// Tokens are what a sign-in got: the access token, the refresh token (with
// the scope offline_access) and the ID token, and the nonce the ID token
// must carry.
type Tokens struct {
	*oauth2.Token
	IDToken string
	Nonce   string
}

// RefusedError is the provider's login form answering again instead of
// redirecting: wrong credentials (Status 401), too many failures (429).
type RefusedError struct {
	Status  int
	Message string // the form's error message
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("oidclogin: sign-in refused (%d): %s", e.Status, e.Message)
}

// Scopes are the scopes Login asks for.
var Scopes = []string{"openid", "profile", "email", "offline_access"}

// Login signs user in with password at issuer, as the public client
// clientID whose redirect URI is redirectURI (nothing needs to listen
// there), and returns the tokens.
func Login(ctx context.Context, issuer, clientID, redirectURI, user, password string) (*Tokens, error) {
	conf, err := Config(ctx, issuer, clientID, redirectURI)
	if err != nil {
		return nil, err
	}
	return LoginWith(ctx, conf, user, password)
}

// LoginWith is Login for the client conf describes (see [Config]); a
// confidential client sets conf.ClientSecret, sent with the code.
func LoginWith(ctx context.Context, conf *oauth2.Config, user, password string) (*Tokens, error) {
	redirectURI := conf.RedirectURL
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			return http.ErrUseLastResponse // the client's, not ours to follow
		}
		return nil
	}}
	page, pageURL, err := get(ctx, browser, authURL)
	if err != nil {
		return nil, err
	}
	form, action, err := loginForm(page, pageURL)
	if err != nil {
		return nil, err
	}
	form.Set("email", user)
	form.Set("password", password)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, action, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := browser.Do(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	location := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location, redirectURI) {
		return nil, &RefusedError{Status: res.StatusCode, Message: formError(string(body))}
	}
	back, err := url.Parse(location)
	if err != nil {
		return nil, err
	}
	q := back.Query()
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("oidclogin: the provider answered %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != state {
		return nil, errors.New("oidclogin: the redirect does not carry the state sent")
	}
	token, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("oidclogin: exchange the code: %w", err)
	}
	idToken, _ := token.Extra("id_token").(string)
	return &Tokens{Token: token, IDToken: idToken, Nonce: nonce}, nil
}

// Config reads the issuer's discovery document and returns the OAuth 2.0
// configuration of the public client clientID, with Scopes (the client's
// credentials, if any, go in the form of the token request).
func Config(ctx context.Context, issuer, clientID, redirectURI string) (*oauth2.Config, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oidclogin: discovery: %w", err)
	}
	defer res.Body.Close()
	var doc struct {
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oidclogin: discovery answered %s", res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("oidclogin: discovery: %w", err)
	}
	return &oauth2.Config{
		ClientID: clientID, RedirectURL: redirectURI, Scopes: Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: doc.AuthorizationEndpoint, TokenURL: doc.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams},
	}, nil
}

func get(ctx context.Context, c *http.Client, u string) (string, *url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", nil, err
	}
	res, err := c.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("oidclogin: %s answered %s: %.300s", res.Request.URL.Redacted(), res.Status, body)
	}
	return string(body), res.Request.URL, err
}

var (
	formAction   = regexp.MustCompile(`<form[^>]*\baction="([^"]*)"`)
	hiddenInput  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
	errorMessage = regexp.MustCompile(`<p class="error"[^>]*>([^<]*)</p>`)
)

// loginForm returns the hidden fields of the login page and the URL its
// form posts to.
func loginForm(page string, pageURL *url.URL) (url.Values, string, error) {
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		return nil, "", fmt.Errorf("oidclogin: no login form at %s", pageURL.Redacted())
	}
	action, err := pageURL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return nil, "", err
	}
	form := url.Values{}
	for _, in := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	return form, action.String(), nil
}

func formError(page string) string {
	if m := errorMessage.FindStringSubmatch(page); m != nil {
		return html.UnescapeString(m[1])
	}
	return strings.TrimSpace(page)
}

func random() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
