package auth_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/go-chi/chi/v5"
)

// guarded serves GET /who, which answers the caller's claims, and GET
// /admin, which needs the admin role, behind the verifier of cfg; its logs
// (at debug level) go to logs.
func guarded(t *testing.T, cfg auth.Config, logs *testkit.LogBuffer) *testkit.Client {
	t.Helper()
	r := httpapi.NewRouter(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	v := auth.NewVerifier(cfg)
	r.Group(func(r chi.Router) {
		r.Use(v.Authenticate)
		r.Get("/who", func(w http.ResponseWriter, r *http.Request) {
			c := auth.From(r.Context())
			fmt.Fprintf(w, "%s|%s|%s|%v", c.Subject, c.Name, c.Email, c.Roles)
		})
		r.With(auth.RequireRole(auth.RoleAdmin)).Get("/admin", func(w http.ResponseWriter, r *http.Request) {})
	})
	server := httptest.NewServer(r)
	t.Cleanup(server.Close)
	return &testkit.Client{T: t, BaseURL: server.URL}
}

func trusting(iss *testkit.Issuer) auth.Config {
	return auth.Config{Issuer: iss.URL, Audience: testkit.Audience}
}

func TestAValidTokenPassesWithItsClaims(t *testing.T) {
	iss := testkit.NewIssuer(t)
	c := guarded(t, trusting(iss), &testkit.LogBuffer{})
	res := c.As(iss.Buyer("alice")).Do("GET", "/who", nil)
	if want := "alice|Buyer alice|alice@example.com|[]"; res.Status != 200 || string(res.Body) != want {
		t.Fatalf("status %d, body %q; want 200, %q", res.Status, res.Body, want)
	}
	if res := c.As(iss.Admin()).Do("GET", "/who", nil); !strings.HasSuffix(string(res.Body), "[admin]") {
		t.Fatalf("the admin's roles are not passed on: %q", res.Body)
	}
}

func TestRefusedTokensGet401AndNeverReachTheLogs(t *testing.T) {
	iss := testkit.NewIssuer(t)
	logs := &testkit.LogBuffer{}
	c := guarded(t, trusting(iss), logs)
	testkit.CheckAuthRequired(t, c, iss, "GET", "/who", nil)
	for what, token := range iss.InvalidTokens("alice") {
		if strings.Contains(logs.String(), token) {
			t.Errorf("the %s token reached the logs", what)
		}
	}
	if !strings.Contains(logs.String(), "a bearer token was refused") {
		t.Errorf("the refusals were not logged (at debug level):\n%s", logs)
	}
	valid := iss.Buyer("alice")
	c.As(valid).Do("GET", "/who", nil)
	if strings.Contains(logs.String(), valid) {
		t.Error("a valid token reached the logs")
	}
}

func TestAnExpiredTokenIsToldSo(t *testing.T) {
	iss := testkit.NewIssuer(t)
	c := guarded(t, trusting(iss), &testkit.LogBuffer{})
	res := c.As(iss.InvalidTokens("alice")["expired"]).Do("GET", "/who", nil)
	if got := res.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token", error_description="the token has expired"` {
		t.Fatalf("WWW-Authenticate %q", got)
	}
}

func TestRequireRole(t *testing.T) {
	iss := testkit.NewIssuer(t)
	c := guarded(t, trusting(iss), &testkit.LogBuffer{})
	c.As(iss.Buyer("alice")).Problem("GET", "/admin", nil, http.StatusForbidden)
	c.As(iss.Admin()).JSON("GET", "/admin", nil, http.StatusOK, nil)
}

// After the issuer rotates its keys, a token signed with the new key names
// a key id the verifier has not cached: it fetches the keys again.
func TestAnUnknownKeyIDFetchesTheKeysAgain(t *testing.T) {
	iss := testkit.NewIssuer(t)
	c := guarded(t, trusting(iss), &testkit.LogBuffer{})
	c.As(iss.Buyer("alice")).JSON("GET", "/who", nil, http.StatusOK, nil) // caches key-1
	iss.Rotate()
	c.As(iss.Buyer("alice")).JSON("GET", "/who", nil, http.StatusOK, nil)
}

// Tokens that name key ids the issuer never published are refused without
// the keys being fetched for each: a hundred of them cost at most one
// fetch more than the interval between fetches allows (one every 5 s), and
// a token of a known key id with a bad signature costs none.
func TestForgedKeyIDsDoNotFetchTheKeysForEach(t *testing.T) {
	iss := testkit.NewIssuer(t)
	c := guarded(t, trusting(iss), &testkit.LogBuffer{})
	c.As(iss.Buyer("alice")).JSON("GET", "/who", nil, http.StatusOK, nil) // caches key-1
	before, start := iss.KeyFetches(), time.Now()
	c.As(iss.InvalidTokens("alice")["bad signature"]).Problem("GET", "/who", nil, http.StatusUnauthorized)
	if fetched := iss.KeyFetches() - before; fetched != 0 {
		t.Fatalf("a bad signature under a known key id fetched the keys %d times, want none", fetched)
	}
	for i := range 100 {
		c.As(iss.TokenOfUnknownKey("alice", "forged-"+strconv.Itoa(i))).Problem("GET", "/who", nil, http.StatusUnauthorized)
	}
	allowed := 1 + int(time.Since(start)/(5*time.Second))
	if fetched := iss.KeyFetches() - before; fetched > allowed {
		t.Fatalf("100 forged key ids fetched the keys %d times, want at most %d", fetched, allowed)
	}
}

// An issuer that is down when the service starts costs nothing until a
// token arrives; then the token is answered 503 (it cannot be checked,
// which is not the caller's fault), and once the issuer is back it is
// accepted.
func TestAnIssuerDownAnswers503UntilItIsBack(t *testing.T) {
	iss := testkit.NewIssuer(t)
	iss.Stop()
	c := guarded(t, trusting(iss), &testkit.LogBuffer{})
	token := iss.Buyer("alice")
	res := c.As(token).Do("GET", "/who", nil)
	if res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", res.Status, res.Header.Get("Retry-After"))
	}
	c.As("").Problem("GET", "/who", nil, http.StatusUnauthorized) // no token needs no issuer
	iss.Start()
	testkit.WaitFor(t, "the token to be accepted", func() bool { return c.As(token).Do("GET", "/who", nil).Status == http.StatusOK })
}

func TestCachedKeysOutliveTheIssuer(t *testing.T) {
	iss := testkit.NewIssuer(t)
	c := guarded(t, trusting(iss), &testkit.LogBuffer{})
	c.As(iss.Buyer("alice")).JSON("GET", "/who", nil, http.StatusOK, nil)
	iss.Stop()
	c.As(iss.Buyer("bob")).JSON("GET", "/who", nil, http.StatusOK, nil)
}

// With AUTH_JWKS_URL the keys are fetched there and discovery is not
// needed: here the issuer's name resolves nowhere.
func TestTheJWKSURLNeedsNoDiscovery(t *testing.T) {
	iss := testkit.NewIssuer(t)
	cfg := auth.Config{Issuer: "http://identity.invalid", Audience: testkit.Audience, JWKSURL: iss.URL + "/keys"}
	c := guarded(t, cfg, &testkit.LogBuffer{})
	token := iss.Mint(testkit.TokenClaims{Subject: "alice", Issuer: cfg.Issuer})
	c.As(token).JSON("GET", "/who", nil, http.StatusOK, nil)
	c.As(iss.Buyer("alice")).Problem("GET", "/who", nil, http.StatusUnauthorized) // iss is not the trusted one
}
