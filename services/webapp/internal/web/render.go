package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"

	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin"
	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
)

// page is what the layout shows around a page's content.
type page struct {
	Title       string
	User        *signin.User
	BasketCount int
	Notice      string
	Scripts     []string
	OrderNumber int64 // the order page's, for live.js
	// EventsSince is when the page began to read what it shows (Unix
	// milliseconds): its stream starts with the changes from then on.
	EventsSince int64
	Content     any
}

// Session keys of the pages.
const (
	keyBasketCount = "basketCount"
	keyNotice      = "notice"
)

// newPage starts a page for r: the user and the basket count the session
// knows, and the notice a redirect left.
func (h *handlers) newPage(r *http.Request, title string, content any) *page {
	p := &page{Title: title, Content: content}
	if u, ok := h.Accounts.User(r.Context()); ok {
		p.User = &u
		p.BasketCount = h.Sessions.GetInt(r.Context(), keyBasketCount)
	}
	p.Notice = h.Sessions.PopString(r.Context(), keyNotice)
	return p
}

// render writes the page with status.
func (h *handlers) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		httpapi.LoggerFrom(r.Context()).ErrorContext(r.Context(), "render a page", "page", name, "error", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// problem is the content of an error page.
type problem struct {
	Heading        string
	Messages       []string
	Back, BackText string
}

// errorPage shows an error with status.
func (h *handlers) errorPage(w http.ResponseWriter, r *http.Request, status int, messages ...string) {
	p := problem{Heading: http.StatusText(status), Messages: messages, Back: "/", BackText: "Back to the catalog"}
	switch status {
	case http.StatusNotFound:
		p.Heading = "Not found"
	case http.StatusBadGateway:
		p.Heading = "Part of the shop is not answering"
	case http.StatusForbidden:
		p.Heading = "Not allowed"
	}
	h.render(w, r, status, "error", h.newPage(r, p.Heading, p))
}

// fail shows what err means to the user: a sign-in for a session that has
// none (or lost it), the API's refusal, or 502 for a service that is down.
func (h *handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	var refused *shopapi.Problem
	switch {
	case errors.Is(err, signin.ErrSignedOut) || shopapi.IsStatus(err, http.StatusUnauthorized):
		h.toSignIn(w, r)
	case errors.Is(err, shopapi.ErrUnavailable) || errors.Is(err, signin.ErrProviderUnavailable):
		httpapi.LoggerFrom(r.Context()).WarnContext(r.Context(), "a service the page needs is unavailable", "error", err)
		h.errorPage(w, r, http.StatusBadGateway, "Please try again in a moment.")
	case errors.As(err, &refused) && refused.Status == http.StatusNotFound:
		h.errorPage(w, r, http.StatusNotFound, "There is nothing here.")
	case errors.As(err, &refused) && refused.Status == http.StatusForbidden:
		h.errorPage(w, r, http.StatusForbidden, "Your account may not do this.")
	case errors.As(err, &refused):
		h.errorPage(w, r, http.StatusBadRequest, refused.Messages()...)
	default:
		httpapi.LoggerFrom(r.Context()).ErrorContext(r.Context(), "a page failed", "error", err)
		h.errorPage(w, r, http.StatusInternalServerError, "Something went wrong; it was logged.")
	}
}

// toSignIn sends the browser to sign in, and back here afterwards (for a
// GET; a POST goes back to the page it came from).
func (h *handlers) toSignIn(w http.ResponseWriter, r *http.Request) {
	back := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		back = h.referer(r, "/")
	}
	http.Redirect(w, r, "/signin?returnTo="+url.QueryEscape(back), http.StatusSeeOther)
}

// referer returns the local path of the page r came from, or fallback.
func (h *handlers) referer(r *http.Request, fallback string) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host {
		return fallback
	}
	return signin.LocalPath(ref.RequestURI())
}

// signedIn returns the user and their access token, or sends the browser
// to sign in (ok false).
func (h *handlers) signedIn(w http.ResponseWriter, r *http.Request) (signin.User, string, bool) {
	u, ok := h.Accounts.User(r.Context())
	if !ok {
		h.toSignIn(w, r)
		return signin.User{}, "", false
	}
	token, err := h.Accounts.AccessToken(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return signin.User{}, "", false
	}
	return u, token, true
}

// redirect sends the browser on after a form, with a notice to show there.
func (h *handlers) redirect(w http.ResponseWriter, r *http.Request, to, notice string) {
	if notice != "" {
		h.Sessions.Put(r.Context(), keyNotice, notice)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
