package service_test

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	"github.com/eshop-go/eshop-go/buildingblocks/oidclogin"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// refresh trades a refresh token for new tokens, as the demo client.
func (s *identityUnderTest) refresh(refreshToken string) (*oauth2.Token, error) {
	conf, err := oidclogin.Config(s.t.Context(), s.URL, demoClient, demoRedirect)
	if err != nil {
		s.t.Fatal(err)
	}
	return conf.TokenSource(s.t.Context(), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
}

// A refresh token gets new tokens for the same user, and a new refresh
// token; the one used no longer works.
func TestARefreshTokenWorksOnceAndGetsANewOne(t *testing.T) {
	s := startIdentity(t)
	first := s.mustLogin("bob@example.com")
	renewed, err := s.refresh(first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.RefreshToken == "" || renewed.RefreshToken == first.RefreshToken {
		t.Errorf("want a new refresh token, got %q", renewed.RefreshToken)
	}
	before, after := s.verifyAccess(first.AccessToken), s.verifyAccess(renewed.AccessToken)
	if after.Subject != before.Subject || after.Email != "bob@example.com" {
		t.Errorf("refreshed token for %s (%s), want %s", after.Subject, after.Email, before.Subject)
	}
	if _, err := s.refresh(renewed.RefreshToken); err != nil {
		t.Errorf("the new refresh token: %v", err)
	}
	if _, err := s.refresh(first.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("the used refresh token again: %v, want invalid_grant", err)
	}
}

func machine(s *identityUnderTest, secret string) *clientcredentials.Config {
	token, _ := s.discovery()["token_endpoint"].(string)
	return &clientcredentials.Config{ClientID: "machine", ClientSecret: secret, TokenURL: token}
}

// A machine client gets an access token for itself with its secret.
func TestAMachineClientGetsATokenWithClientCredentials(t *testing.T) {
	s := startIdentity(t)
	token, err := machine(s, "machine-secret").Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := s.verifyAccess(token.AccessToken)
	if c.Subject != "machine" || c.ClientID != "machine" || !slices.Contains(c.Audience, "eshop") || c.Roles == nil {
		t.Errorf("sub %q client_id %q aud %v roles %#v, want machine, machine (what tells the APIs it is no buyer), eshop and an array", c.Subject, c.ClientID, c.Audience, c.Roles)
	}
	if token.RefreshToken != "" {
		t.Error("client credentials got a refresh token")
	}
	if _, err := machine(s, "wrong").Token(t.Context()); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("a wrong secret: %v, want invalid_client", err)
	}
}

// Ending the session sends the browser to the client's post-logout URI
// with its state, and the user's refresh tokens at that client stop
// working.
func TestEndSessionRedirectsAndEndsTheRefreshTokens(t *testing.T) {
	s := startIdentity(t)
	tokens := s.mustLogin("alice@example.com")
	endSession, _ := s.discovery()["end_session_endpoint"].(string)
	res, err := noRedirects.Get(endSession + "?" + url.Values{
		"id_token_hint": {tokens.IDToken}, "post_logout_redirect_uri": {"http://localhost:8765/signed-out"}, "state": {"bye"},
	}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || loc == nil || loc.Path != "/signed-out" || loc.Query().Get("state") != "bye" {
		t.Fatalf("end session: %s to %q, want 302 to the post-logout URI with the state", res.Status, res.Header.Get("Location"))
	}
	if _, err := s.refresh(tokens.RefreshToken); err == nil {
		t.Error("the refresh token still works after end session")
	}

	res, err = noRedirects.Get(endSession + "?post_logout_redirect_uri=" + url.QueryEscape("https://evil.example/"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if strings.HasPrefix(res.Header.Get("Location"), "https://evil.example") {
		t.Error("end session redirected to a URI no client registered")
	}
}

// After a rotation new tokens carry the new kid and a token of the old key
// still validates (the JWKS has both); after a second rotation the first
// key is gone from the JWKS and its tokens no longer validate.
func TestKeyRotationKeepsThePreviousKeyForOneRotation(t *testing.T) {
	s := startIdentity(t)
	cc := machine(s, "machine-secret")
	old, err := cc.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Store.RotateKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	current, err := cc.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if keyID(t, current.AccessToken) == keyID(t, old.AccessToken) {
		t.Fatal("a token after the rotation has the old kid")
	}
	s.verifyAccess(old.AccessToken)
	s.verifyAccess(current.AccessToken)

	if err := s.Store.RotateKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.verifier("eshop").Verify(t.Context(), old.AccessToken); err == nil {
		t.Fatal("a token of a key rotated out twice still validates")
	}
	s.verifyAccess(current.AccessToken)
	if keys, _ := s.getJSON(s.discovery()["jwks_uri"].(string))["keys"].([]any); len(keys) != 2 {
		t.Errorf("the JWKS has %d keys, want the current and the previous", len(keys))
	}
}

// The ID token, checked as an OpenID Connect client must (Core 1.0,
// 3.1.3.7): signature, iss, aud containing the client (azp the client when
// there are more), exp, iat, the nonce sent; and the standard claims the
// scopes asked for.
func TestTheIDTokenCarriesTheClaimsOpenIDConnectRequires(t *testing.T) {
	s := startIdentity(t)
	tokens := s.mustLogin("alice@example.com")
	verified, err := s.verifier(demoClient).Verify(t.Context(), tokens.IDToken)
	if err != nil {
		t.Fatalf("the ID token does not verify for the client: %v", err)
	}
	var c struct {
		AuthorizedParty string   `json:"azp"`
		IssuedAt        int64    `json:"iat"`
		AuthTime        int64    `json:"auth_time"`
		Nonce           string   `json:"nonce"`
		Name            string   `json:"name"`
		Email           string   `json:"email"`
		EmailVerified   bool     `json:"email_verified"`
		AccessTokenHash string   `json:"at_hash"`
		Roles           []string `json:"roles"`
	}
	if err := verified.Claims(&c); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if verified.Issuer != s.URL || !slices.Contains(verified.Audience, demoClient) {
		t.Errorf("iss %q aud %v, want %s and %s", verified.Issuer, verified.Audience, s.URL, demoClient)
	}
	if len(verified.Audience) > 1 && c.AuthorizedParty != demoClient {
		t.Errorf("aud %v without azp %s", verified.Audience, demoClient)
	}
	if c.Nonce != tokens.Nonce || verified.Nonce != tokens.Nonce {
		t.Errorf("nonce %q, want the one sent, %q", c.Nonce, tokens.Nonce)
	}
	iat := time.Unix(c.IssuedAt, 0)
	if iat.After(now.Add(time.Minute)) || iat.Before(now.Add(-time.Minute)) || !verified.Expiry.After(iat) {
		t.Errorf("iat %v exp %v, want iat now and exp after it", iat, verified.Expiry)
	}
	if c.AuthTime == 0 || c.AccessTokenHash == "" {
		t.Errorf("auth_time %d at_hash %q, want both", c.AuthTime, c.AccessTokenHash)
	}
	if verified.Subject != s.verifyAccess(tokens.AccessToken).Subject {
		t.Error("the ID token's sub is not the access token's")
	}
	if err := verified.VerifyAccessToken(tokens.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if c.Name != "Alice Smith" || c.Email != "alice@example.com" || !c.EmailVerified || c.Roles == nil || len(c.Roles) != 0 {
		t.Errorf("name %q email %q verified %v roles %#v, want Alice's, no roles", c.Name, c.Email, c.EmailVerified, c.Roles)
	}
}

// The userinfo endpoint answers the user's claims for their access token.
func TestUserinfoAnswersForAnAccessToken(t *testing.T) {
	s := startIdentity(t)
	tokens := s.mustLogin("admin@example.com")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.discovery()["userinfo_endpoint"].(string), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var info struct {
		Subject string   `json:"sub"`
		Email   string   `json:"email"`
		Roles   []string `json:"roles"`
	}
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("userinfo: %s %v", res.Status, err)
	}
	if info.Subject != s.verifyAccess(tokens.AccessToken).Subject || info.Email != "admin@example.com" || !slices.Equal(info.Roles, []string{"admin"}) {
		t.Errorf("userinfo %+v, want the admin's claims", info)
	}
}

// An authorization code is redeemed once: of two exchanges at once, one
// gets tokens and the other invalid_grant.
func TestAnAuthorizationCodeIsRedeemedOnceEvenAtOnce(t *testing.T) {
	s := startIdentity(t)
	f := s.openLoginForm()
	code := f.code("alice@example.com")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = f.Conf.Exchange(t.Context(), code, oauth2.VerifierOption(f.Verifier)) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two redemptions at once: %v and %v; want one success and one invalid_grant", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil && !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("the second redemption: %v, want invalid_grant", err)
		}
	}
}

// An authorization code lives a minute: an older one gets no tokens.
func TestAnAuthorizationCodeLivesAMinute(t *testing.T) {
	s := startIdentity(t)
	f := s.openLoginForm()
	code := f.code("alice@example.com")
	if _, err := s.DB.Exec(t.Context(), `UPDATE auth_requests SET code_issued_at = now() - interval '61 seconds'`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Conf.Exchange(t.Context(), code, oauth2.VerifierOption(f.Verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("a code issued 61 s ago: %v, want invalid_grant", err)
	}
}

// A refresh token used a second time is a stolen one (or its copy is):
// the whole family of tokens its sign-in got is revoked, the newest too.
func TestAReusedRefreshTokenRevokesItsFamily(t *testing.T) {
	s := startIdentity(t)
	first := s.mustLogin("bob@example.com")
	second, err := s.refresh(first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	other := s.mustLogin("bob@example.com") // another sign-in: another family
	if _, err := s.refresh(first.RefreshToken); err == nil {
		t.Fatal("the used refresh token worked again")
	}
	if _, err := s.refresh(second.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("the newest token of the family after a reuse: %v, want invalid_grant", err)
	}
	if _, err := s.refresh(other.RefreshToken); err != nil {
		t.Fatalf("another sign-in's token: %v", err)
	}
}

// A refresh token lives no longer than 30 days after the sign-in, however
// often it was renewed.
func TestRefreshTokensEndThirtyDaysAfterTheSignIn(t *testing.T) {
	s := startIdentity(t)
	tokens := s.mustLogin("bob@example.com")
	if _, err := s.DB.Exec(t.Context(), `UPDATE refresh_tokens SET auth_time = auth_time - interval '29 days 23 hours'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.refresh(tokens.RefreshToken); err != nil {
		t.Fatal(err)
	}
	var expires time.Time
	if err := s.DB.QueryRow(t.Context(), `SELECT max(expires_at) FROM refresh_tokens WHERE used_at IS NULL`).Scan(&expires); err != nil {
		t.Fatal(err)
	}
	if expires.After(time.Now().Add(2 * time.Hour)) {
		t.Fatalf("a token renewed 29 days 23 hours after the sign-in expires %v, want within the hour", expires)
	}
}

// The signing keys are sealed at rest (IDENTITY_KEY_SEAL): the database
// holds no private key anyone who reads it could sign with.
func TestSigningKeysAreSealedAtRest(t *testing.T) {
	s := startIdentity(t)
	s.mustLogin("alice@example.com")
	rows, err := s.DB.Query(t.Context(), `SELECT private_key FROM signing_keys`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var stored []byte
		if err := rows.Scan(&stored); err != nil {
			t.Fatal(err)
		}
		n++
		if _, err := x509.ParsePKCS8PrivateKey(stored); err == nil {
			t.Fatal("a signing key is stored in clear (PKCS #8)")
		}
	}
	if n == 0 {
		t.Fatal("no signing key stored")
	}
}

// An ID token is for the client that signed the user in, not for the APIs:
// its audience is the client alone, so the services' token check (the
// building blocks' auth, audience eshop) refuses it, while it accepts the
// access token. The ID token a refresh gets is the same.
func TestAnIDTokenIsNotAnAccessToken(t *testing.T) {
	s := startIdentity(t)
	tokens := s.mustLogin("alice@example.com")
	api := auth.NewVerifier(auth.Config{Issuer: s.URL, Audience: "eshop"})
	if _, err := api.Verify(t.Context(), tokens.AccessToken); err != nil {
		t.Fatalf("the access token: %v", err)
	}
	if _, err := api.Verify(t.Context(), tokens.IDToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("the ID token as an access token: %v, want refused", err)
	}
	if _, err := s.verifier(demoClient).Verify(t.Context(), tokens.IDToken); err != nil {
		t.Fatalf("the ID token for its client: %v", err)
	}
	renewed, err := s.refresh(tokens.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	idToken, _ := renewed.Extra("id_token").(string)
	if _, err := api.Verify(t.Context(), idToken); idToken == "" || !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("the refreshed ID token (present: %v) as an access token: %v, want refused", idToken != "", err)
	}
}

// A client revokes a refresh token at the revocation endpoint (RFC 7009),
// as the storefront does at sign-out: it no longer works, nor does any
// token of its sign-in.
func TestARevokedRefreshTokenNoLongerWorks(t *testing.T) {
	s := startIdentity(t)
	conf, tokens := s.signInAtTheStorefront(t)
	revocation, _ := s.discovery()["revocation_endpoint"].(string)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, revocation, strings.NewReader(url.Values{
		"token": {tokens.RefreshToken}, "token_type_hint": {"refresh_token"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("webapp", "webapp-secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revoking the refresh token: %s, want 200", res.Status)
	}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	_, err = conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tokens.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("the revoked refresh token: %v, want invalid_grant", err)
	}
}
