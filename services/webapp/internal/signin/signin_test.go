package signin_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin/signintest"
)

// app is a minimal web app around the sign-in: each route calls one
// method, and answers what it returned.
type app struct {
	t        *testing.T
	url      string
	provider *signintest.Provider
	browser  *http.Client
	// slow is GET /slow: it reads the session's user, says so on entered,
	// and answers only once release is closed (a picture that takes long).
	entered, release chan struct{}
}

func newApp(t *testing.T, provider *signintest.Provider, internalURL string) *app {
	t.Helper()
	return newAppWithStore(t, provider, internalURL, memstore.New())
}

// newAppWithStore is newApp with its sessions in store.
func newAppWithStore(t *testing.T, provider *signintest.Provider, internalURL string, store scs.Store) *app {
	t.Helper()
	sessions := scs.New()
	sessions.Store = store
	sessions.IdleTimeout = time.Hour // as the webapp's: every request saves the session it loaded
	a := &app{t: t, provider: provider, entered: make(chan struct{}), release: make(chan struct{})}
	mux := http.NewServeMux()
	srv := httptest.NewServer(sessions.LoadAndSave(mux))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	o, err := signin.New(signin.Config{IssuerURL: provider.Issuer, InternalURL: internalURL, ClientID: "webapp", ClientSecret: "webapp-secret",
		RedirectURL: srv.URL + "/signin-oidc", PostLogoutURL: srv.URL + "/signed-out", Key: []byte("test key")}, sessions)
	if err != nil {
		t.Fatal(err)
	}
	answer := func(w http.ResponseWriter, s string, err error) {
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, err.Error())
			return
		}
		fmt.Fprint(w, s)
	}
	mux.HandleFunc("/begin", func(w http.ResponseWriter, r *http.Request) {
		to, err := o.Begin(r.Context(), r.URL.Query().Get("returnTo"))
		if err != nil {
			answer(w, "", err)
			return
		}
		http.Redirect(w, r, to, http.StatusFound)
	})
	mux.HandleFunc("/signin-oidc", func(w http.ResponseWriter, r *http.Request) {
		back, err := o.Complete(r.Context(), r.URL.Query())
		answer(w, "back to "+back, err)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		token, err := o.AccessToken(r.Context())
		answer(w, token, err)
	})
	mux.HandleFunc("/user", func(w http.ResponseWriter, r *http.Request) {
		u, ok := o.User(r.Context())
		answer(w, fmt.Sprintf("%s %s %v admin=%v", u.Subject, u.Name, u.Roles, u.IsAdmin()), map[bool]error{true: nil, false: signin.ErrSignedOut}[ok])
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		o.User(r.Context())
		a.entered <- struct{}{}
		<-a.release
	})
	mux.HandleFunc("/end", func(w http.ResponseWriter, r *http.Request) { answer(w, o.End(r.Context()), nil) })
	jar, _ := cookiejar.New(nil)
	a.browser = &http.Client{Jar: jar}
	return a
}

// get GETs rawURL and returns the status and the body.
func (a *app) get(rawURL string) (int, string) {
	a.t.Helper()
	res, err := a.browser.Get(rawURL)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func (a *app) must(path string, want int, wantBody string) string {
	a.t.Helper()
	status, body := a.get(a.url + path)
	if status != want || !strings.Contains(body, wantBody) {
		a.t.Fatalf("GET %s: %d %q, want %d %q", path, status, body, want, wantBody)
	}
	return body
}

func TestSignInWithPKCEAndNonce(t *testing.T) {
	p := signintest.New(t, "webapp", "webapp-secret")
	p.SignInAs(signintest.User{Subject: "u-1", Name: "Alice Smith"})
	a := newApp(t, p, "")
	a.must("/user", 401, "not signed in")
	// The browser follows: the provider, then the callback.
	a.must("/begin?returnTo=/basket", 200, "back to /basket")
	a.must("/user", 200, "u-1 Alice Smith [] admin=false")
	first := a.must("/token", 200, "access-u-1-")
	if again := a.must("/token", 200, "access-u-1-"); again != first {
		t.Fatalf("a valid token was replaced: %s, then %s", first, again)
	}

	p.SignInAs(signintest.User{Subject: "admin", Name: "Administrator", Roles: []string{"admin"}})
	b := newApp(t, p, "")
	b.must("/begin?returnTo=//evil.example", 200, "back to /")
	b.must("/user", 200, "admin Administrator [admin] admin=true")
}

func TestTheAccessTokenIsRefreshedWhenItExpires(t *testing.T) {
	p, a := aliceSignedInWithExpiredTokens(t)
	first := a.must("/token", 200, "access-u-1-")
	second := a.must("/token", 200, "access-u-1-")
	if first == second || p.Refreshes != 2 {
		t.Fatalf("tokens %s, %s after %d refreshes; want a new one each time", first, second, p.Refreshes)
	}
	// The provider no longer refreshes (the refresh token was revoked):
	// the session is signed out.
	p.Set(func(p *signintest.Provider) { p.ClientSecret = "changed" })
	a.must("/token", 401, signin.ErrSignedOut.Error())
	a.must("/user", 401, "not signed in")
}

func TestAProviderThatIsDownIsUnavailable(t *testing.T) {
	p := signintest.New(t, "webapp", "webapp-secret")
	p.Set(func(p *signintest.Provider) { p.Down = true })
	a := newApp(t, p, "")
	a.must("/begin", 401, signin.ErrProviderUnavailable.Error())
	p.Set(func(p *signintest.Provider) { p.Down = false })
	a.must("/begin", 200, "back to /")
}

func TestACallbackThatIsNotThisBrowsersIsRefused(t *testing.T) {
	p := signintest.New(t, "webapp", "webapp-secret")
	a := newApp(t, p, "")
	a.must("/signin-oidc?code=x&state=y", 401, "no sign-in is in progress")
	// A sign-in started, and a callback with another state.
	a.browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	status, _ := a.get(a.url + "/begin")
	if status != http.StatusFound {
		t.Fatalf("begin: %d", status)
	}
	a.must("/signin-oidc?code=x&state=forged", 401, "does not match")
	a.must("/user", 401, "not signed in")
}

// The browser signs in at the public URL; the webapp reaches the provider
// at its internal URL, and checks the public issuer.
func TestTheProviderIsReachedAtItsInternalURL(t *testing.T) {
	p := signintest.New(t, "webapp", "webapp-secret")
	p.Issuer = "http://identity.public.invalid"
	p.SignInAs(signintest.User{Subject: "u-1", Name: "Alice"})
	a := newApp(t, p, p.URL)
	a.browser.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "identity.public.invalid" { // the browser's way to the public URL
			req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(p.URL, "http://")
		}
		return nil
	}
	a.must("/begin?returnTo=/orders", 200, "back to /orders")
	a.must("/token", 200, "access-u-1-")
}

// Signing out revokes the refresh token at the provider (server to
// server), and sends the browser to the end-session endpoint with the
// client's id, not the ID token: the URL ends up in the browser's history
// and the provider's logs, and the ID token has no business there.
func TestSignOutRevokesTheRefreshTokenAndKeepsTheIDTokenOutOfTheURL(t *testing.T) {
	p := aliceAtTheProvider(t)
	a := newApp(t, p, "")
	a.must("/begin", 200, "back to /")
	end := a.must("/end", 200, p.URL+"/end_session?")
	u, _ := url.Parse(end)
	if q := u.Query(); q.Has("id_token_hint") || q.Get("post_logout_redirect_uri") != a.url+"/signed-out" || q.Get("client_id") != "webapp" {
		t.Fatalf("end session URL with id_token_hint %v, post_logout_redirect_uri %q, client_id %q; want no id_token_hint (the URL is not printed: it may hold one)",
			q.Has("id_token_hint"), q.Get("post_logout_redirect_uri"), q.Get("client_id"))
	}
	if p.Revoked != 1 || p.LiveRefreshTokens() != 0 {
		t.Fatalf("%d revocations, %d refresh tokens still valid; want the session's revoked", p.Revoked, p.LiveRefreshTokens())
	}
	a.must("/user", 401, "not signed in")
	a.must("/token", 401, "not signed in")
}

// A request that loaded the session before the sign-out and ends after it
// (a slow page, a picture) does not sign the session in again: the sign-out
// holds.
func TestASignOutIsNotUndoneByARequestThatBeganBeforeIt(t *testing.T) {
	p := aliceAtTheProvider(t)
	a := newApp(t, p, "")
	a.must("/begin", 200, "back to /")
	slow := make(chan struct{})
	go func() { defer close(slow); a.get(a.url + "/slow") }()
	<-a.entered
	a.must("/end", 200, "/end_session?")
	close(a.release)
	<-slow
	a.must("/user", 401, "not signed in")
	a.must("/token", 401, "not signed in")
}

// A request that loaded the session before a refresh and ends after it does
// not roll the tokens back to the refresh token already used (which the
// provider refuses: the user would be signed out at the next refresh).
func TestARefreshIsNotRolledBackByARequestThatBeganBeforeIt(t *testing.T) {
	p, a := aliceSignedInWithExpiredTokens(t)
	slow := make(chan struct{})
	go func() { defer close(slow); a.get(a.url + "/slow") }()
	<-a.entered
	a.must("/token", 200, "access-u-1-") // refreshes: the first refresh token is used
	close(a.release)
	<-slow
	a.must("/token", 200, "access-u-1-") // refreshes again, with the second
	if p.Refreshes != 2 {
		t.Fatalf("%d refreshes, want 2", p.Refreshes)
	}
}

// A sign-in's return path is a local path of bounded length: a longer one
// goes back to the home page (the session would keep it otherwise).
func TestALongReturnPathGoesHome(t *testing.T) {
	p := aliceAtTheProvider(t)
	a := newApp(t, p, "")
	if back := a.must("/begin?returnTo=/"+strings.Repeat("a", signin.MaxReturnTo), 200, "back to /"); back != "back to /" {
		t.Fatalf("a return path longer than %d: %.40s…, want back to /", signin.MaxReturnTo, back)
	}
}

// The session store keeps at most its number of anonymous sessions (here
// sign-ins in progress), the oldest going first, and every signed-in one.
func TestTheSessionStoreKeepsBoundedAnonymousSessionsAndEverySignedInOne(t *testing.T) {
	p := aliceAtTheProvider(t)
	store, err := signin.NewSessionStore(scs.GobCodec{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	a := newAppWithStore(t, p, "", store)
	a.must("/begin", 200, "back to /") // signed in
	stop := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(b *http.Client, u string) *http.Response {
		res, err := b.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	// Thirty browsers start a sign-in, each stopping at the provider.
	browsers, toProvider := make([]*http.Client, 30), make([]string, 30)
	for i := range browsers {
		jar, _ := cookiejar.New(nil)
		browsers[i] = &http.Client{Jar: jar, CheckRedirect: stop}
		toProvider[i] = get(browsers[i], a.url+"/begin").Header.Get("Location")
	}
	// Back from the provider, the last one's sign-in completes; the
	// first one's was forgotten.
	finish := func(i int) int {
		back := get(browsers[i], toProvider[i]).Header.Get("Location")
		return get(browsers[i], back).StatusCode
	}
	if status := finish(len(browsers) - 1); status != 200 {
		t.Fatalf("the last sign-in begun: %d, want 200", status)
	}
	if status := finish(0); status != 401 {
		t.Fatalf("the first of 30 sign-ins begun, with room for 10: %d, want 401 (forgotten)", status)
	}
	a.must("/user", 200, "u-1") // the signed-in session stays
}

// A user holds at most signin.MaxSignInsPerUser sign-ins at once: one more
// ends the oldest (each is kept in memory until it ends).
func TestAUsersOldestSignInEndsWhenTheyHaveTooMany(t *testing.T) {
	p := aliceAtTheProvider(t)
	a := newApp(t, p, "")
	a.must("/begin", 200, "back to /")
	signInElsewhere := func() {
		first := a.browser.Jar
		a.browser.Jar, _ = cookiejar.New(nil)
		a.must("/begin", 200, "back to /")
		a.browser.Jar = first
	}
	for range signin.MaxSignInsPerUser - 1 {
		signInElsewhere()
	}
	a.must("/user", 200, "u-1") // the first of MaxSignInsPerUser
	signInElsewhere()
	a.must("/user", 401, "not signed in")
}

// aliceAtTheProvider is a provider for the storefront's client at which
// Alice (u-1) signs in.
func aliceAtTheProvider(t *testing.T) *signintest.Provider {
	p := signintest.New(t, "webapp", "webapp-secret")
	p.SignInAs(signintest.User{Subject: "u-1", Name: "Alice"})
	return p
}

// aliceSignedInWithExpiredTokens signs Alice in at a provider whose access
// tokens expire at once (within oauth2's expiry margin), so that every
// use refreshes them.
func aliceSignedInWithExpiredTokens(t *testing.T) (*signintest.Provider, *app) {
	p := aliceAtTheProvider(t)
	p.TokenLifetime = time.Second
	a := newApp(t, p, "")
	a.must("/begin", 200, "back to /")
	return p, a
}
