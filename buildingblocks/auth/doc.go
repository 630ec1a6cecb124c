// Package auth guards the services' HTTP APIs with OAuth 2.0 bearer tokens
// (RFC 6750): JWT access tokens that an OpenID Connect issuer signed, with
// the claims docs/http-api.md names (sub, name, email, roles).
//
// A [Verifier] checks a token with github.com/coreos/go-oidc: the signature
// (RS256 or ES256 only; "alg": "none" and every other algorithm are
// refused), the issuer, the audience and the expiry. It finds the issuer's
// keys lazily (keys.go): at AUTH_JWKS_URL, or at the jwks_uri of the
// issuer's discovery document, read on the first request that needs it and
// again after a failure. The keys are cached and fetched again when a token
// names a key id not in the cache (the issuer rotated its keys), at most
// twice at once and then once every 5 seconds, never for a key id already
// known: forged key ids cannot make a service hammer the issuer. So an
// issuer that cannot be reached never keeps a service from starting or from
// being ready, and a service that has the keys keeps checking tokens while
// the issuer is down.
//
// [Verifier.Authenticate] is the middleware: no token, or a token that
// does not verify, is answered 401 with WWW-Authenticate and a problem
// document; a token that cannot be checked because the keys cannot be
// fetched is answered 503 with Retry-After. Behind it, handlers read the
// caller with [From]; [RequireRole] answers 403 to a caller without a
// role. Tokens never reach the logs.
package auth
