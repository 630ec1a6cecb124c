// Package httpapi is the identity service's own pages: the login form the
// provider sends a browser to, and the page after signing out. The OpenID
// Connect endpoints are the provider's (package provider).
package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

// LoginPath is the login page; the provider appends ?authRequestID=<id>.
const LoginPath = "/login"

// Store is what the login page reads and writes.
type Store interface {
	AuthRequestByID(ctx context.Context, id uuid.UUID) (identity.AuthRequest, error)
	CompleteAuthRequest(ctx context.Context, id, userID uuid.UUID, authTime time.Time) error
	UserByEmail(ctx context.Context, email string) (identity.User, error)
	ChangeFailures(ctx context.Context, keys []identity.ThrottleKey, change func([]*identity.Failures) error) error
}

// Login is the login page's dependencies.
type Login struct {
	Store Store
	// Callback is where the browser goes on once the user signed in: the
	// provider's, which issues the code.
	Callback func(ctx context.Context, authRequestID string) string
	// Key signs the CSRF tokens of the form (IDENTITY_COOKIE_KEY).
	Key []byte
	// SecureCookies marks the cookies Secure (an https issuer).
	SecureCookies bool
	// UnknownUserHash is a password hash at the cost of the users', which
	// the password given for an unknown email is compared with, so that
	// the answer takes as long as for a known one.
	UnknownUserHash []byte
	// ClientAddress tells where a request came from, for the throttle.
	ClientAddress ClientAddress
}

//go:embed login.html
var loginHTML string

var loginPage = template.Must(template.New("login").Parse(loginHTML))

const csrfCookie = "identity_csrf"

// Messages that tell the user no more than they need: not whether the
// account exists, nor which throttle holds.
const (
	msgWrongCredentials = "The email or password is not right."
	msgThrottled        = "Too many failed sign-ins. Please wait a while and try again."
)

// Mount adds the login page and the signed-out page to r.
func Mount(r chi.Router, l *Login, loggedOutPath string) {
	r.Get(LoginPath, l.form)
	r.Post(LoginPath, l.submit)
	r.Get(loggedOutPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>Signed out · eShop</title><p>You are signed out.</p>\n"))
	})
}

type formData struct {
	Action, AuthRequestID, CSRF, Email, Error string
}

// form shows the login form for a sign-in in progress. It sets a random
// CSRF cookie (SameSite=Strict) and puts its MAC, bound to the sign-in,
// into the form: a post from another site carries neither.
func (l *Login) form(w http.ResponseWriter, r *http.Request) {
	req, ok := l.pending(w, r, r.URL.Query().Get("authRequestID"))
	if !ok {
		return
	}
	nonce := make([]byte, 32)
	rand.Read(nonce)
	cookie := base64.RawURLEncoding.EncodeToString(nonce)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: cookie, Path: LoginPath, HttpOnly: true,
		Secure: l.SecureCookies, SameSite: http.SameSiteStrictMode})
	l.render(w, http.StatusOK, formData{AuthRequestID: req.ID.String(), CSRF: l.csrf(cookie, req.ID)})
}

func (l *Login) csrf(cookie string, id uuid.UUID) string {
	mac := hmac.New(sha256.New, l.Key)
	mac.Write([]byte(cookie + "|" + id.String()))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// submit checks the password of a posted form. A key (the account, the
// client address) locked by failures refuses without checking the password.
func (l *Login) submit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		httpapi.Fail(w, http.StatusBadRequest, "the form cannot be read")
		return
	}
	req, ok := l.pending(w, r, r.PostForm.Get("authRequestID"))
	if !ok {
		return
	}
	cookie, err := r.Cookie(csrfCookie)
	if err != nil || !hmac.Equal([]byte(l.csrf(cookie.Value, req.ID)), []byte(r.PostForm.Get("csrf"))) {
		httpapi.Fail(w, http.StatusForbidden, "the form was not sent from the login page; open it again")
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	if len(email) > identity.MaxEmailLength {
		httpapi.Fail(w, http.StatusBadRequest, "the email is longer than an email address can be")
		return
	}
	again := formData{AuthRequestID: req.ID.String(), CSRF: r.PostForm.Get("csrf"), Email: email}
	ctx := r.Context()
	address := l.ClientAddress.Of(r)
	keys := []identity.ThrottleKey{identity.AccountKey(email, address), identity.AddressKey(address)}
	var locked time.Time
	if err := l.Store.ChangeFailures(ctx, keys, func(f []*identity.Failures) error {
		locked = identity.Reserve(time.Now(), f)
		return nil
	}); err != nil {
		unavailable(w)
		return
	}
	if !locked.IsZero() {
		w.Header().Set("Retry-After", strconv.Itoa(int(time.Until(locked).Seconds())+1))
		again.Error = msgThrottled
		l.render(w, http.StatusTooManyRequests, again)
		return
	}
	// The attempt counts as a failure from here on: a right password takes
	// it back.
	user, err := l.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, identity.ErrUnknownUser) {
		unavailable(w)
		return
	}
	if err != nil {
		user.PasswordHash = l.UnknownUserHash // as slow as a wrong password
	}
	if !user.PasswordMatches(r.PostForm.Get("password")) || err != nil {
		again.Error = msgWrongCredentials
		l.render(w, http.StatusUnauthorized, again)
		return
	}
	if err := l.Store.ChangeFailures(ctx, keys, func(f []*identity.Failures) error {
		identity.Succeeded(time.Now(), f)
		return nil
	}); err != nil {
		unavailable(w)
		return
	}
	if err := l.Store.CompleteAuthRequest(ctx, req.ID, user.ID, time.Now()); err != nil {
		httpapi.Fail(w, http.StatusConflict, "this sign-in cannot be completed; start again from the application")
		return
	}
	http.Redirect(w, r, l.Callback(ctx, req.ID.String()), http.StatusFound)
}

// pending returns the sign-in in progress with the id, or answers 400.
func (l *Login) pending(w http.ResponseWriter, r *http.Request, id string) (identity.AuthRequest, bool) {
	uid, err := uuid.Parse(id)
	if err != nil {
		httpapi.Fail(w, http.StatusBadRequest, "authRequestID is not a sign-in id; start again from the application")
		return identity.AuthRequest{}, false
	}
	req, err := l.Store.AuthRequestByID(r.Context(), uid)
	switch {
	case errors.Is(err, identity.ErrNotFound) || err == nil && req.Done():
		httpapi.Fail(w, http.StatusBadRequest, "no sign-in in progress with this id; start again from the application")
		return identity.AuthRequest{}, false
	case err != nil:
		unavailable(w)
		return identity.AuthRequest{}, false
	}
	return req, true
}

// unavailable answers a failure of the database: 503, nothing changed.
func unavailable(w http.ResponseWriter) {
	httpapi.Fail(w, http.StatusServiceUnavailable, "cannot sign in now; try again")
}

func (l *Login) render(w http.ResponseWriter, status int, d formData) {
	d.Action = LoginPath
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Not to be framed (clickjacking), nothing loaded from elsewhere. No
	// form-action: browsers apply it to the redirects after the post too,
	// which end at the client's redirect URI.
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.WriteHeader(status)
	loginPage.Execute(w, d)
}
