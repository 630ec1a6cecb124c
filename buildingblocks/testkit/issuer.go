package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is an OpenID Connect issuer for tests: a server on a loopback
// port with the discovery document and the JWKS, and the signing keys to
// mint access tokens as an identity service would (docs/http-api.md, "Access"):
// iss, sub, aud ["eshop"], exp, name, email, roles. The services are
// tested against it, so they are proven against any conforming issuer,
// not only against ours.
type Issuer struct {
	URL  string // what the tokens' iss says: AUTH_ISSUER
	Addr string

	t      testing.TB
	mu     sync.Mutex
	server *http.Server
	keys   []jose.JSONWebKey // private; the first signs, all are served
	forged *ecdsa.PrivateKey // signs TokenOfUnknownKey's tokens
	// fetches counts the requests for the JWKS.
	fetches int
}

// Audience is the audience of the tokens the issuer mints: AUTH_AUDIENCE's
// default.
const Audience = "eshop"

// NewIssuer starts an issuer with one RS256 key; it stops when the test
// ends.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	addr := FreeAddr(t)
	i := &Issuer{URL: "http://" + addr, Addr: addr, t: t}
	i.Rotate()
	i.Start()
	t.Cleanup(i.Stop)
	return i
}

// Env is the settings that make a service trust the issuer.
func (i *Issuer) Env() map[string]string {
	return map[string]string{"AUTH_ISSUER": i.URL, "AUTH_AUDIENCE": Audience}
}

// Start makes the issuer answer (again) on its address.
func (i *Issuer) Start() {
	i.t.Helper()
	ln, err := net.Listen("tcp", i.Addr)
	if err != nil {
		i.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{
			"issuer": i.URL, "jwks_uri": i.URL + "/keys",
			"authorization_endpoint": i.URL + "/authorize", "token_endpoint": i.URL + "/token",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		i.mu.Lock()
		i.fetches++
		set := jose.JSONWebKeySet{}
		for _, k := range i.keys {
			set.Keys = append(set.Keys, k.Public())
		}
		i.mu.Unlock()
		writeJSON(w, set)
	})
	i.mu.Lock()
	i.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	server := i.server
	i.mu.Unlock()
	go func() {
		if err := server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			i.t.Errorf("the test issuer stopped: %v", err)
		}
	}()
}

// KeyFetches is how many times the JWKS was asked for.
func (i *Issuer) KeyFetches() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.fetches
}

// Stop makes the issuer unreachable: its address refuses connections.
func (i *Issuer) Stop() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.server != nil {
		i.server.Close()
		i.server = nil
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Rotate makes a new RS256 key the one that signs; the JWKS serves it
// beside the older ones. A service that cached the keys before sees a key
// id it does not know.
func (i *Issuer) Rotate() {
	i.mu.Lock()
	defer i.mu.Unlock()
	key := newRSAKey(i.t, "key-"+strconv.Itoa(len(i.keys)+1))
	i.keys = append([]jose.JSONWebKey{key}, i.keys...)
}

func newRSAKey(t testing.TB, id string) jose.JSONWebKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: priv, KeyID: id, Algorithm: string(jose.RS256), Use: "sig"}
}

// TokenClaims are the claims of a token to mint. Zero fields take the
// issuer's defaults: Issuer its URL, Audience ["eshop"], Expiry ten
// minutes from now.
type TokenClaims struct {
	Subject, Name, Email string
	// ClientID is the client the token was issued to (client_id); a
	// client that asked for itself (client credentials) is also the sub.
	ClientID string
	Roles    []string
	Issuer   string
	Audience []string
	Expiry   time.Time
}

// Mint returns an access token with claims, signed with the current key.
func (i *Issuer) Mint(claims TokenClaims) string {
	i.mu.Lock()
	key := i.keys[0]
	i.mu.Unlock()
	return i.sign(key, claims)
}

// Buyer returns a buyer's token: sub is the buyer id; the name is
// "Buyer <sub>".
func (i *Issuer) Buyer(sub string) string {
	return i.Mint(TokenClaims{Subject: sub, Name: "Buyer " + sub, Email: sub + "@example.com"})
}

// Admin returns the token of an administrator (role admin, sub "admin").
func (i *Issuer) Admin() string {
	return i.Mint(TokenClaims{Subject: "admin", Name: "Admin", Email: "admin@example.com", Roles: []string{"admin"}})
}

// Machine returns the token a client got for itself with client
// credentials, as identity issues it to its client "machine": sub and
// client_id are the client's id, no name, no email, no roles.
func (i *Issuer) Machine(clientID string) string {
	return i.Mint(TokenClaims{Subject: clientID, ClientID: clientID, Roles: []string{}})
}

// TokenOfUnknownKey returns a buyer's token signed (ES256) by a key the
// issuer never published, under the key id kid: what an attacker sends to
// make a service fetch the keys again.
func (i *Issuer) TokenOfUnknownKey(sub, kid string) string {
	i.mu.Lock()
	if i.forged == nil {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			i.mu.Unlock()
			i.t.Fatal(err)
		}
		i.forged = key
	}
	forged := i.forged
	i.mu.Unlock()
	return i.sign(jose.JSONWebKey{Key: forged, KeyID: kid, Algorithm: string(jose.ES256)}, TokenClaims{Subject: sub, Name: "Buyer " + sub})
}

// InvalidTokens returns, by what is wrong with each, tokens of buyer sub
// that a service must refuse with 401: expired, from another issuer, for
// another audience, signed by a key the issuer never published (under the
// current key's id), unsigned ("alg": "none"), and an ES256 token whose
// key the JWKS does not have.
func (i *Issuer) InvalidTokens(sub string) map[string]string {
	i.mu.Lock()
	current := i.keys[0]
	i.mu.Unlock()
	buyer := TokenClaims{Subject: sub, Name: "Buyer " + sub}
	with := func(change func(*TokenClaims)) TokenClaims {
		c := buyer
		change(&c)
		return c
	}
	forged := newRSAKey(i.t, current.KeyID)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		i.t.Fatal(err)
	}
	return map[string]string{
		"expired":         i.Mint(with(func(c *TokenClaims) { c.Expiry = time.Now().Add(-time.Minute) })),
		"wrong issuer":    i.Mint(with(func(c *TokenClaims) { c.Issuer = "http://issuer.invalid" })),
		"wrong audience":  i.Mint(with(func(c *TokenClaims) { c.Audience = []string{"another-api"} })),
		"bad signature":   i.sign(forged, buyer),
		"alg none":        unsigned(i.claims(buyer)),
		"unknown ES256":   i.sign(jose.JSONWebKey{Key: ec, KeyID: "unpublished", Algorithm: string(jose.ES256)}, buyer),
		"not a JWT":       "not-a-token",
		"truncated token": i.Mint(buyer)[:40],
	}
}

// claims fills in the defaults.
func (i *Issuer) claims(c TokenClaims) map[string]any {
	if c.Issuer == "" {
		c.Issuer = i.URL
	}
	if c.Audience == nil {
		c.Audience = []string{Audience}
	}
	if c.Expiry.IsZero() {
		c.Expiry = time.Now().Add(10 * time.Minute)
	}
	out := map[string]any{
		"iss": c.Issuer, "sub": c.Subject, "aud": c.Audience, "exp": c.Expiry.Unix(),
		"iat": time.Now().Add(-time.Minute).Unix(), "name": c.Name, "email": c.Email,
	}
	if c.Roles != nil {
		out["roles"] = c.Roles
	}
	if c.ClientID != "" {
		out["client_id"] = c.ClientID
	}
	return out
}

func (i *Issuer) sign(key jose.JSONWebKey, c TokenClaims) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: key},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		i.t.Fatal(err)
	}
	token, err := jwt.Signed(signer).Claims(i.claims(c)).Serialize()
	if err != nil {
		i.t.Fatal(err)
	}
	return token
}

// unsigned is a JWT with "alg": "none" and no signature, which go-jose
// will not make.
func unsigned(claims map[string]any) string {
	payload, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

// CheckAuthRequired fails the test unless the service refuses the request
// without a valid token: 401 with WWW-Authenticate: Bearer without a
// token, and 401 with Bearer error="invalid_token" for each of the
// issuer's InvalidTokens; each with a problem document.
func CheckAuthRequired(t *testing.T, c *Client, iss *Issuer, method, path string, body any, header ...string) {
	t.Helper()
	tokens := iss.InvalidTokens("alice")
	tokens["no token"] = ""
	for what, token := range tokens {
		challenge := `Bearer error="invalid_token"`
		if token == "" {
			challenge = "Bearer"
		}
		res := c.As(token).For(t).Do(method, path, body, header...)
		got := res.Header.Get("WWW-Authenticate")
		if res.Status != http.StatusUnauthorized || !strings.HasPrefix(got, challenge) ||
			res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s with %s: status %d, WWW-Authenticate %q, Content-Type %q; want 401, %s…, a problem",
				method, path, what, res.Status, got, res.Header.Get("Content-Type"), challenge)
		}
	}
}

// CheckIssuerComesBack fails the test unless a request with c's (valid)
// token, to a service whose issuer iss is stopped, answers 503 with
// Retry-After and a problem, and then, once iss answers again, want.
func CheckIssuerComesBack(t *testing.T, c *Client, iss *Issuer, method, path string, body any, want int, header ...string) {
	t.Helper()
	res := c.For(t).Do(method, path, body, header...)
	if res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s %s while the issuer is down: status %d, Retry-After %q; want a 503 problem with Retry-After",
			method, path, res.Status, res.Header.Get("Retry-After"))
	}
	iss.Start()
	WaitFor(t, "the token to be checked once the issuer is back", func() bool {
		res = c.For(t).Do(method, path, body, header...)
		return res.Status != http.StatusServiceUnavailable
	})
	if res.Status != want {
		t.Fatalf("%s %s once the issuer is back: status %d, want %d; body %.300s", method, path, res.Status, want, res.Body)
	}
}
