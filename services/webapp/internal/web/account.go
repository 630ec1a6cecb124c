package web

import (
	"net/http"

	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin"
)

// signIn is GET /signin: to the sign-in service, and back to returnTo or
// the page the link was on.
func (h *handlers) signIn(w http.ResponseWriter, r *http.Request) {
	back := r.URL.Query().Get("returnTo")
	if back == "" {
		back = h.referer(r, "/")
	}
	to, err := h.Accounts.Begin(r.Context(), signin.LocalPath(back))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}

// signInCallback is GET /signin-oidc, where the sign-in service sends the
// browser back with the code.
func (h *handlers) signInCallback(w http.ResponseWriter, r *http.Request) {
	back, err := h.Accounts.Complete(r.Context(), r.URL.Query())
	if err != nil {
		httpapi.LoggerFrom(r.Context()).WarnContext(r.Context(), "a sign-in failed", "error", err)
		h.errorPage(w, r, http.StatusBadRequest, "The sign-in did not complete. Please sign in again.")
		return
	}
	h.Sessions.Remove(r.Context(), keyBasketCount)
	h.redirect(w, r, back, "")
}

// signOut is POST /signout: the session forgets the user, and the browser
// goes to the sign-in service to end the sign-in there too.
func (h *handlers) signOut(w http.ResponseWriter, r *http.Request) {
	to := h.Accounts.End(r.Context())
	h.Sessions.Remove(r.Context(), keyBasketCount)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// signedOut is GET /signout-callback-oidc, where the sign-in service sends
// the browser after the sign-out.
func (h *handlers) signedOut(w http.ResponseWriter, r *http.Request) {
	h.redirect(w, r, "/", "You are signed out.")
}
