package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// Authenticate lets a request through only with a valid bearer token, and
// gives the handlers its claims (see [From]). Without a token it answers
// 401 with WWW-Authenticate: Bearer; with a token that does not verify,
// 401 with WWW-Authenticate: Bearer error="invalid_token"; when the
// issuer's keys cannot be fetched, 503 with Retry-After. Each answer is a
// problem document. The token is never logged: only why it was refused.
func (v *Verifier) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := bearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", "Bearer")
			httpapi.Fail(w, http.StatusUnauthorized, "this request needs Authorization: Bearer <access token>")
			return
		}
		claims, err := v.Verify(r.Context(), raw)
		switch {
		case errors.Is(err, ErrUnavailable):
			httpapi.LoggerFrom(r.Context()).WarnContext(r.Context(), "a bearer token could not be checked", "error", err)
			w.Header().Set("Retry-After", "5")
			httpapi.Fail(w, http.StatusServiceUnavailable, "the token cannot be checked now: the issuer's keys cannot be fetched; try again shortly")
		case err != nil:
			httpapi.LoggerFrom(r.Context()).DebugContext(r.Context(), "a bearer token was refused", "reason", err)
			detail := "the token is not valid: its signature, issuer or audience is not accepted"
			if expired(err) {
				detail = "the token has expired"
			}
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+detail+`"`)
			httpapi.Fail(w, http.StatusUnauthorized, detail)
		default:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
		}
	})
}

// bearerToken returns the token of an Authorization: Bearer header (the
// scheme is case-insensitive), and whether there was one.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// RequireRole answers 403 to a caller whose token does not grant role. It
// goes behind Authenticate.
func RequireRole(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !From(r.Context()).HasRole(role) {
				httpapi.Fail(w, http.StatusForbidden, "this needs the "+role+" role")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
