// Package signintest is an OpenID Connect provider for the webapp's tests:
// discovery, keys, an authorization endpoint that signs in at once the
// user the test chose (no login form), the token endpoint (code with PKCE,
// refresh tokens replaced at each use) and an end-session endpoint. It
// checks what identity checks of the webapp's requests: the client's
// credentials, the redirect URI, the PKCE verifier.
package signintest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// User is who the provider signs in.
type User struct {
	Subject, Name string
	Roles         []string
}

// Provider is the test's OpenID Connect provider.
type Provider struct {
	// URL is where the provider answers; Issuer is the issuer it names,
	// URL unless the test sets another (a public URL the webapp does not
	// reach: see signin.Config.InternalURL).
	URL, Issuer            string
	ClientID, ClientSecret string
	// TokenLifetime is the access tokens' (default 15 minutes).
	TokenLifetime time.Duration

	t      testing.TB
	key    jose.JSONWebKey
	mu     sync.Mutex
	next   User
	codes  map[string]grant
	tokens map[string]User // refresh token → user
	// Refreshes counts the refreshes; Ended the end-session requests;
	// Revoked the refresh tokens revoked.
	Refreshes, Ended, Revoked int
	// Down makes every endpoint answer 503.
	Down bool
}

type grant struct {
	user                       User
	challenge, nonce, redirect string
}

// New starts a provider for client id/secret; it stops when the test ends.
func New(t testing.TB, id, secret string) *Provider {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: id, ClientSecret: secret, TokenLifetime: 15 * time.Minute, t: t,
		key:   jose.JSONWebKey{Key: priv, KeyID: "k1", Algorithm: string(jose.RS256), Use: "sig"},
		codes: map[string]grant{}, tokens: map[string]User{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.keys)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /oauth/token", p.token)
	mux.HandleFunc("GET /end_session", p.endSession)
	mux.HandleFunc("POST /oauth/revoke", p.revoke)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		down := p.Down
		p.mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL, p.Issuer = srv.URL, srv.URL
	return p
}

// SignInAs makes u the user of the next sign-in.
func (p *Provider) SignInAs(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = u
}

// Set changes the provider under its lock.
func (p *Provider) Set(change func(p *Provider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	change(p)
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]any{
		"issuer": p.Issuer, "authorization_endpoint": p.Issuer + "/authorize", "token_endpoint": p.Issuer + "/oauth/token",
		"jwks_uri": p.Issuer + "/keys", "end_session_endpoint": p.Issuer + "/end_session",
		"revocation_endpoint":                   p.Issuer + "/oauth/revoke",
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

func (p *Provider) keys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{p.key.Public()}})
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" {
		http.Error(w, "a bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.codes[code] = grant{user: p.next, challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
	p.mu.Unlock()
	back := q.Get("redirect_uri") + "?" + url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back, http.StatusFound)
}

// authenticated reports whether r comes from the client with its secret;
// if not, it answers invalid_client.
func (p *Provider) authenticated(w http.ResponseWriter, r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok || id != p.ClientID || secret != p.ClientSecret {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return false
	}
	return true
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if !p.authenticated(w, r) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch r.PostFormValue("grant_type") {
	case "authorization_code":
		g, ok := p.codes[r.PostFormValue("code")]
		delete(p.codes, r.PostFormValue("code"))
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge || r.PostFormValue("redirect_uri") != g.redirect {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		p.issue(w, g.user, g.nonce)
	case "refresh_token":
		u, ok := p.tokens[r.PostFormValue("refresh_token")]
		delete(p.tokens, r.PostFormValue("refresh_token"))
		if !ok {
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		p.Refreshes++
		p.issue(w, u, "")
	default:
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
	}
}

// issue answers tokens for u (p.mu held): the access token is
// "access-<sub>-<n>", readable by the fake APIs.
func (p *Provider) issue(w http.ResponseWriter, u User, nonce string) {
	refresh := rand.Text()
	p.tokens[refresh] = u
	claims := map[string]any{"iss": p.Issuer, "sub": u.Subject, "aud": []string{p.ClientID, "eshop"}, "azp": p.ClientID,
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "name": u.Name, "roles": u.Roles}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		p.t.Error(err)
		return
	}
	idToken, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		p.t.Error(err)
		return
	}
	writeJSON(w, 200, map[string]any{"access_token": "access-" + u.Subject + "-" + rand.Text()[:6], "token_type": "Bearer",
		"expires_in": int(p.TokenLifetime.Seconds()), "refresh_token": refresh, "id_token": idToken})
}

func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.Ended++
	p.mu.Unlock()
	http.Redirect(w, r, r.URL.Query().Get("post_logout_redirect_uri"), http.StatusFound)
}

// revoke revokes a refresh token (RFC 7009), for its client only.
func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	if !p.authenticated(w, r) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.tokens[r.PostFormValue("token")]; ok {
		delete(p.tokens, r.PostFormValue("token"))
		p.Revoked++
	}
	w.WriteHeader(http.StatusOK)
}

// LiveRefreshTokens is how many refresh tokens the provider would still
// accept.
func (p *Provider) LiveRefreshTokens() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tokens)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
