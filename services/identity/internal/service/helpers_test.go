package service_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/eshop-go/eshop-go/buildingblocks/oidclogin"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/identity/internal/postgres"
	"github.com/eshop-go/eshop-go/services/identity/internal/service"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/oauth2"
)

const (
	demoPassword = "Pass@word1"
	demoClient   = "demo"
	demoRedirect = "http://localhost:8765/callback"
)

// identityUnderTest is the real identity service, started in-process on a
// free port with its own database; its issuer is its own address.
type identityUnderTest struct {
	*testkit.ServiceUnderTest
	t     *testing.T
	Store *postgres.Store // the service's database, for what no endpoint does (rotating keys)
	DB    *pgxpool.Pool   // the same, for what a test must age or read
}

// startIdentity starts identity with the settings a test needs, and more
// (settings, value, setting, value…).
func startIdentity(t *testing.T, more ...string) *identityUnderTest {
	t.Helper()
	addr, dbURL := testkit.FreeAddr(t), testkit.NewDatabase(t)
	env := map[string]string{
		"HTTP_ADDR": addr, "DATABASE_URL": dbURL, "IDENTITY_ISSUER": "http://" + addr, "IDENTITY_COOKIE_KEY": "test-cookie-key",
		"IDENTITY_PASSWORD_COST": "4", // bcrypt's least: the tests sign in often, under -race
		"IDENTITY_KEY_SEAL":      "test-key-seal",
	}
	for i := 0; i+1 < len(more); i += 2 {
		env[more[i]] = more[i+1]
	}
	s := testkit.StartService(t, "identity", service.New, env, nil)
	db := testkit.OpenPool(t, dbURL)
	return &identityUnderTest{ServiceUnderTest: s, t: t, Store: postgres.NewStore(db, []byte(env["IDENTITY_KEY_SEAL"])), DB: db}
}

// login signs user in as the demo client, as a browser does.
func (s *identityUnderTest) login(user, password string) (*oidclogin.Tokens, error) {
	return oidclogin.Login(s.t.Context(), s.URL, demoClient, demoRedirect, user, password)
}

func (s *identityUnderTest) mustLogin(user string) *oidclogin.Tokens {
	s.t.Helper()
	tokens, err := s.login(user, demoPassword)
	if err != nil {
		s.t.Fatalf("login %s: %v", user, err)
	}
	return tokens
}

// verifier checks tokens as a resource server or a client would, with a
// maintained library that reads the keys from the issuer's JWKS (fetched
// anew for each verifier): signature, iss, aud = audience, exp.
func (s *identityUnderTest) verifier(audience string) *oidc.IDTokenVerifier {
	s.t.Helper()
	p, err := oidc.NewProvider(s.t.Context(), s.URL)
	if err != nil {
		s.t.Fatal(err)
	}
	return p.Verifier(&oidc.Config{ClientID: audience})
}

// accessClaims are the claims docs/http-api.md gives an access token.
type accessClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience []string `json:"aud"`
	Expiry   int64    `json:"exp"`
	Name     string   `json:"name"`
	Email    string   `json:"email"`
	Roles    []string `json:"roles"`
	ClientID string   `json:"client_id"`
}

// verifyAccess verifies an access token for the audience eshop and returns
// its claims.
func (s *identityUnderTest) verifyAccess(token string) accessClaims {
	s.t.Helper()
	verified, err := s.verifier("eshop").Verify(s.t.Context(), token)
	if err != nil {
		s.t.Fatalf("access token does not verify: %v", err)
	}
	var c accessClaims
	if err := verified.Claims(&c); err != nil {
		s.t.Fatal(err)
	}
	return c
}

// keyID is the kid in a token's header.
func keyID(t *testing.T, token string) string {
	t.Helper()
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID
}

// discovery returns the issuer's discovery document.
func (s *identityUnderTest) discovery() map[string]any {
	s.t.Helper()
	return s.getJSON(s.URL + "/.well-known/openid-configuration")
}

func (s *identityUnderTest) getJSON(url string) map[string]any {
	s.t.Helper()
	res, err := http.Get(url)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %s", url, res.Status)
	}
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		s.t.Fatal(err)
	}
	return doc
}

// noRedirects is a client that returns a redirect instead of following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// s256 and plainChallenge are the PKCE parameters of an authorization
// request, with the method S256 and plain.

func s256(verifier string) []oauth2.AuthCodeOption {
	return []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
}

func plainChallenge(verifier string) []oauth2.AuthCodeOption {
	return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("code_challenge", verifier), oauth2.SetAuthURLParam("code_challenge_method", "plain")}
}

// loginForm is the login page of one sign-in in progress, opened as a
// browser opens it: its cookie (the CSRF one) in Browser, its hidden fields
// in Fields. Post fills in the email and password and posts it.
type loginForm struct {
	s        *identityUnderTest
	Browser  *http.Client
	Fields   url.Values
	Conf     *oauth2.Config // the demo client's
	Verifier string         // the PKCE verifier of the sign-in
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

// openLoginForm starts a sign-in as the demo client and opens its login
// page.
func (s *identityUnderTest) openLoginForm() *loginForm {
	s.t.Helper()
	conf, err := oidclogin.Config(s.t.Context(), s.URL, demoClient, demoRedirect)
	if err != nil {
		s.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: noRedirects.CheckRedirect}
	verifier := oauth2.GenerateVerifier()
	res, err := http.DefaultClient.Do(mustRequest(s.t, "GET", conf.AuthCodeURL("state", s256(verifier)...)))
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	page, err := browser.Get(res.Request.URL.String()) // the login page again, to get its cookie into the jar
	if err != nil {
		s.t.Fatal(err)
	}
	defer page.Body.Close()
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != http.StatusOK {
		s.t.Fatalf("the login page: %s", page.Status)
	}
	fields := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(string(body), -1) {
		fields.Set(m[1], html.UnescapeString(m[2]))
	}
	return &loginForm{s: s, Browser: browser, Fields: fields, Conf: conf, Verifier: verifier}
}

// code signs user in with the form and returns the authorization code the
// provider sends back to the demo client.
func (f *loginForm) code(user string) string {
	f.s.t.Helper()
	form := url.Values{}
	for k, v := range f.Fields {
		form[k] = v
	}
	form.Set("email", user)
	form.Set("password", demoPassword)
	res, err := f.Browser.PostForm(f.s.URL+"/login", form)
	if err != nil {
		f.s.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		f.s.t.Fatalf("sign-in: %s", res.Status)
	}
	back, err := f.Browser.Get(res.Header.Get("Location")) // the provider's callback issues the code
	if err != nil {
		f.s.t.Fatal(err)
	}
	back.Body.Close()
	loc, err := url.Parse(back.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		f.s.t.Fatalf("no code in the redirect (%s)", back.Status)
	}
	return loc.Query().Get("code")
}

// Post posts the form with the email and password and returns the status:
// 302 signed in, 401 a wrong password, 429 throttled.
func (f *loginForm) Post(email, password string) int { return f.PostForwarded("", email, password) }

// PostForwarded is Post with the header X-Forwarded-For: forwardedFor, as
// a proxy sends it (none when empty).
func (f *loginForm) PostForwarded(forwardedFor, email, password string) int {
	form := url.Values{}
	for k, v := range f.Fields {
		form[k] = v
	}
	form.Set("email", email)
	form.Set("password", password)
	req, err := http.NewRequestWithContext(f.s.t.Context(), http.MethodPost, f.s.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		f.s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	res, err := f.Browser.Do(req)
	if err != nil {
		f.s.t.Error(err)
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// signInAtTheStorefront signs Bob in through the storefront's client, a
// confidential one (its secret), and returns its configuration and Bob's
// tokens.
func (s *identityUnderTest) signInAtTheStorefront(t *testing.T) (*oauth2.Config, *oidclogin.Tokens) {
	t.Helper()
	conf, err := oidclogin.Config(t.Context(), s.URL, "webapp", "http://localhost:8080/signin-oidc")
	if err != nil {
		t.Fatal(err)
	}
	conf.ClientSecret = "webapp-secret"
	tokens, err := oidclogin.LoginWith(t.Context(), conf, "bob@example.com", demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	return conf, tokens
}
