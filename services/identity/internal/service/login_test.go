package service_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/oidclogin"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// The whole browser flow: authorize, the login form, the password, the
// redirect with the code, the exchange with the PKCE verifier; the access
// token verifies against the JWKS and carries the claims docs/http-api.md names.
func TestABuyerSignsInWithCodeAndPKCE(t *testing.T) {
	s := startIdentity(t)
	tokens := s.mustLogin("alice@example.com")
	if tokens.RefreshToken == "" || tokens.IDToken == "" {
		t.Errorf("want a refresh token and an ID token, got %+v", tokens)
	}
	c := s.verifyAccess(tokens.AccessToken)
	if c.Issuer != s.URL || !slices.Contains(c.Audience, "eshop") {
		t.Errorf("iss %q aud %v, want %s and eshop", c.Issuer, c.Audience, s.URL)
	}
	if _, err := uuid.Parse(c.Subject); err != nil {
		t.Errorf("sub %q is not a user id", c.Subject)
	}
	if c.Name != "Alice Smith" || c.Email != "alice@example.com" || c.Roles == nil || len(c.Roles) != 0 {
		t.Errorf("name %q email %q roles %#v, want Alice's, with no roles", c.Name, c.Email, c.Roles)
	}
	if exp := time.Unix(c.Expiry, 0); exp.Before(time.Now()) || exp.After(time.Now().Add(time.Hour)) {
		t.Errorf("exp %v, want within the hour", exp)
	}

	admin := s.verifyAccess(s.mustLogin("ADMIN@example.com").AccessToken)
	if !slices.Equal(admin.Roles, []string{"admin"}) || admin.Subject == c.Subject {
		t.Errorf("admin: roles %v sub %s, want [admin] and another user", admin.Roles, admin.Subject)
	}
}

func TestAWrongPasswordOrAnUnknownUserIsRefusedAlike(t *testing.T) {
	s := startIdentity(t)
	_, wrong := s.login("bob@example.com", "not-the-password")
	_, unknown := s.login("nobody@example.com", demoPassword)
	for _, err := range []error{wrong, unknown} {
		var refused *oidclogin.RefusedError
		if !errors.As(err, &refused) || refused.Status != http.StatusUnauthorized {
			t.Fatalf("got %v, want the form again with 401", err)
		}
		if refused.Message != "The email or password is not right." {
			t.Errorf("message %q, want the generic one", refused.Message)
		}
	}
}

func throttled(t *testing.T, err error) bool {
	t.Helper()
	var refused *oidclogin.RefusedError
	if err != nil && !errors.As(err, &refused) {
		t.Fatal(err)
	}
	return refused != nil && refused.Status == http.StatusTooManyRequests
}

// Five failures lock the account: the right password is refused then, with
// the same message whoever asks. Another account still signs in from the
// same address, until twenty failures lock the address too.
func TestRepeatedFailuresLockTheAccountThenTheAddress(t *testing.T) {
	s := startIdentity(t)
	for i := range 5 {
		if _, err := s.login("bob@example.com", "guess"); throttled(t, err) {
			t.Fatalf("throttled after %d failures, want after 5", i)
		}
	}
	_, err := s.login("bob@example.com", demoPassword)
	if !throttled(t, err) {
		t.Fatalf("the right password after 5 failures: %v, want 429", err)
	}
	if !strings.Contains(err.Error(), "Too many failed sign-ins") {
		t.Errorf("message %v, want the generic throttle message", err)
	}
	s.mustLogin("alice@example.com")

	for i := range 15 {
		if _, err := s.login("nobody-"+string(rune('a'+i))+"@example.com", "guess"); throttled(t, err) {
			t.Fatalf("address throttled after %d failures, want after 20", 5+i)
		}
	}
	if _, err := s.login("alice@example.com", demoPassword); !throttled(t, err) {
		t.Fatalf("after 20 failures from one address: %v, want 429", err)
	}
}

// A form posted without the cookie the login page set (from another site)
// is refused before any password is checked.
func TestALoginFormPostedWithoutItsCSRFCookieIsRefused(t *testing.T) {
	s := startIdentity(t)
	conf, err := oidclogin.Config(t.Context(), s.URL, demoClient, demoRedirect)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(conf.AuthCodeURL("state", s256("verifier-verifier-verifier-verifier-verifier")...))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id := res.Request.URL.Query().Get("authRequestID")
	if res.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("authorize led to %s %s, want the login page", res.Status, res.Request.URL)
	}
	post, err := noRedirects.PostForm(s.URL+"/login", url.Values{
		"authRequestID": {id}, "csrf": {"forged"}, "email": {"alice@example.com"}, "password": {demoPassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusForbidden {
		t.Fatalf("a forged form: %s, want 403", post.Status)
	}
}

// A public client must use PKCE with S256: without it, the provider
// refuses the authorization request.
func TestAPublicClientWithoutPKCEIsRefused(t *testing.T) {
	s := startIdentity(t)
	conf, err := oidclogin.Config(t.Context(), s.URL, demoClient, demoRedirect)
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"no challenge":    nil,
		"plain challenge": plainChallenge("verifier-verifier-verifier-verifier-verifier"),
	} {
		res, err := noRedirects.Get(conf.AuthCodeURL("state", opts...))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := url.Parse(res.Header.Get("Location"))
		if loc == nil || loc.Query().Get("error") != "invalid_request" || !strings.HasPrefix(loc.String(), demoRedirect) {
			t.Errorf("%s: %s to %q, want the redirect URI with error=invalid_request", name, res.Status, res.Header.Get("Location"))
		}
	}
}

// The storefront is a confidential client: its code is exchanged with its
// secret, and a wrong secret gets no tokens.
func TestAConfidentialClientExchangesTheCodeWithItsSecret(t *testing.T) {
	s := startIdentity(t)
	conf, tokens := s.signInAtTheStorefront(t)
	if c := s.verifyAccess(tokens.AccessToken); c.Email != "bob@example.com" {
		t.Errorf("email %q, want Bob's", c.Email)
	}
	conf.ClientSecret = "guess"
	if _, err := oidclogin.LoginWith(t.Context(), conf, "bob@example.com", demoPassword); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("a wrong client secret: %v, want invalid_client", err)
	}
}

// A login page for no sign-in in progress, or for one already completed,
// is a problem document, not a form.
func TestTheLoginPageWantsASignInInProgress(t *testing.T) {
	s := startIdentity(t)
	for _, id := range []string{"not-an-id", uuid.NewString()} {
		res, err := http.Get(s.URL + "/login?authRequestID=" + id)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("login page of %s: %s %s, want 400 problem", id, res.Status, res.Header.Get("Content-Type"))
		}
	}
}

// Thirty guesses at once for one account, from one address: no more than
// the five the throttle allows have their password checked, the rest are
// refused without one; the right password afterwards is refused too. (The
// throttle once checked the count, then the password, then recorded the
// failure, so a burst had every guess checked.)
func TestABurstOfGuessesHasNoMoreThanTheAllowedPasswordsChecked(t *testing.T) {
	s := startIdentity(t)
	forms := make([]*loginForm, 30)
	for i := range forms {
		forms[i] = s.openLoginForm()
	}
	statuses := make([]int, len(forms))
	var wg sync.WaitGroup
	for i, f := range forms {
		wg.Go(func() { statuses[i] = f.Post("bob@example.com", "guess") })
	}
	wg.Wait()
	counts := map[int]int{}
	for _, status := range statuses {
		counts[status]++
	}
	if counts[http.StatusUnauthorized] > 5 || counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests] != len(forms) {
		t.Fatalf("statuses of 30 guesses at once: %v; want at most 5 checked (401), the others 429", counts)
	}
	if status := s.openLoginForm().Post("bob@example.com", demoPassword); status != http.StatusTooManyRequests {
		t.Fatalf("the right password after the burst: %d, want 429", status)
	}
}

// Guesses at bob's password lock bob for their sender only: bob signs in
// from elsewhere. Behind a trusted proxy (IDENTITY_TRUSTED_PROXIES) the
// sender is the address the proxy puts in X-Forwarded-For.
func TestGuessesLockAnAccountOnlyForTheAddressTheyCameFrom(t *testing.T) {
	s := startIdentity(t, "IDENTITY_TRUSTED_PROXIES", "127.0.0.1/32,::1")
	for range 5 {
		s.openLoginForm().PostForwarded("203.0.113.9", "bob@example.com", "guess")
	}
	if status := s.openLoginForm().PostForwarded("203.0.113.9", "bob@example.com", demoPassword); status != http.StatusTooManyRequests {
		t.Fatalf("the guesser's address after 5 failures: %d, want 429", status)
	}
	if status := s.openLoginForm().PostForwarded("198.51.100.7", "bob@example.com", demoPassword); status != http.StatusFound {
		t.Fatalf("bob from another address: %d, want 302 (signed in)", status)
	}
}

// Without a trusted proxy, X-Forwarded-For is anyone's to send: a guesser
// who changes it for every guess is still one address.
func TestXForwardedForIsIgnoredWithoutATrustedProxy(t *testing.T) {
	s := startIdentity(t)
	for i := range 5 {
		s.openLoginForm().PostForwarded("203.0.113."+strconv.Itoa(i), "bob@example.com", "guess")
	}
	if status := s.openLoginForm().PostForwarded("198.51.100.7", "bob@example.com", demoPassword); status != http.StatusTooManyRequests {
		t.Fatalf("after 5 guesses with a made-up X-Forwarded-For each: %d, want 429", status)
	}
}

// An authorization request with a state, nonce or code_challenge longer
// than identity keeps is refused, and nothing is stored for it.
func TestOversizedAuthorizationParametersAreRefusedAndNotStored(t *testing.T) {
	s := startIdentity(t)
	conf, err := oidclogin.Config(t.Context(), s.URL, demoClient, demoRedirect)
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("x", 64<<10)
	verifier := oauth2.GenerateVerifier()
	for name, u := range map[string]string{
		"state":          conf.AuthCodeURL(huge, s256(verifier)...),
		"nonce":          conf.AuthCodeURL("state", append(s256(verifier), oauth2.SetAuthURLParam("nonce", huge))...),
		"code_challenge": conf.AuthCodeURL("state", oauth2.SetAuthURLParam("code_challenge", huge), oauth2.SetAuthURLParam("code_challenge_method", "S256")),
	} {
		res, err := noRedirects.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := url.Parse(res.Header.Get("Location"))
		refused := res.StatusCode == http.StatusBadRequest ||
			loc != nil && strings.HasPrefix(loc.String(), demoRedirect) && loc.Query().Get("error") == "invalid_request"
		if !refused {
			t.Errorf("a %d kB %s: %s, want invalid_request", len(huge)>>10, name, res.Status)
		}
	}
	var stored int
	if err := s.DB.QueryRow(t.Context(), `SELECT count(*) FROM auth_requests`).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("%d sign-ins stored (%v), want none", stored, err)
	}
}

// One address may begin IDENTITY_AUTHORIZE_RATE sign-ins a minute; the
// next is refused (429) and stores nothing.
func TestAuthorizationRequestsAreLimitedPerAddress(t *testing.T) {
	s := startIdentity(t, "IDENTITY_AUTHORIZE_RATE", "5")
	conf, err := oidclogin.Config(t.Context(), s.URL, demoClient, demoRedirect)
	if err != nil {
		t.Fatal(err)
	}
	u := conf.AuthCodeURL("state", s256(oauth2.GenerateVerifier())...)
	for i := range 6 {
		res, err := noRedirects.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if want := map[bool]int{true: http.StatusFound, false: http.StatusTooManyRequests}[i < 5]; res.StatusCode != want {
			t.Fatalf("sign-in %d begun within the minute: %s, want %d", i+1, res.Status, want)
		}
	}
	var stored int
	if err := s.DB.QueryRow(t.Context(), `SELECT count(*) FROM auth_requests`).Scan(&stored); err != nil || stored != 5 {
		t.Fatalf("%d sign-ins stored (%v), want 5", stored, err)
	}
}

// An email longer than an address can be (254 characters) is refused
// before anything is counted or checked: the throttle keys on the email.
func TestAnOversizedEmailIsRefusedAndNothingIsCounted(t *testing.T) {
	s := startIdentity(t)
	if status := s.openLoginForm().Post(strings.Repeat("a", 10<<10)+"@example.com", "guess"); status != http.StatusBadRequest {
		t.Fatalf("a 10 kB email: %d, want 400", status)
	}
	var counted int
	if err := s.DB.QueryRow(t.Context(), `SELECT count(*) FROM login_failures`).Scan(&counted); err != nil || counted != 0 {
		t.Fatalf("%d failure counts stored (%v), want none", counted, err)
	}
}
