package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/time/rate"
)

// errUnreachable marks a failure to get the issuer's discovery document or
// keys: the issuer is down or answers an error. A token that cannot be
// checked for it is not the caller's fault (503, not 401).
var errUnreachable = errors.New("the issuer's keys cannot be fetched")

// issuerTimeout bounds each request to the issuer. fetchEvery and
// fetchBurst bound how often the keys are fetched: two fetches at once (the
// first, and the one after a rotation that follows it closely), then one
// every fetchEvery, however many tokens name a key id nobody published.
const (
	issuerTimeout = 5 * time.Second
	fetchEvery    = 5 * time.Second
	fetchBurst    = 2
)

// keys is the go-oidc KeySet the verifier checks signatures with: the
// issuer's keys (JWKS), found at Config.JWKSURL, or else at the jwks_uri
// of the issuer's discovery document, read on first use (never while the
// service starts).
//
// Caching: a token is checked against the cached key of its key id, and a
// known key id never makes the keys be fetched again, whatever its
// signature. A key id not in the cache makes them be fetched again (the
// issuer rotated its keys), if the limiter allows a fetch now; if not,
// the token is refused as invalid (or, when the last fetch failed, as not
// checkable now). So forged key ids cost the issuer one request every
// fetchEvery, not one each.
type keys struct {
	cfg    Config
	client *http.Client
	limit  *rate.Limiter

	fetching sync.Mutex // held by the one fetch at a time

	mu       sync.Mutex
	jwksURL  string
	set      []jose.JSONWebKey
	failedBy error // why the last fetch failed; nil after a success
}

func newKeys(cfg Config) *keys {
	return &keys{
		cfg:     cfg,
		client:  &http.Client{Timeout: issuerTimeout, Transport: issuerTransport{http.DefaultTransport}},
		limit:   rate.NewLimiter(rate.Every(fetchEvery), fetchBurst),
		jwksURL: cfg.JWKSURL,
	}
}

// VerifySignature implements oidc.KeySet. When the keys cannot be fetched
// it records that in ctx's outcome (see Verifier.Verify): go-oidc keeps
// only the text of the error.
func (k *keys) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("malformed token: %w", err)
	}
	kid := jws.Signatures[0].Header.KeyID
	candidates, err := k.keysFor(ctx, kid)
	if err != nil {
		if o, ok := ctx.Value(outcomeKey{}).(*outcome); ok && errors.Is(err, errUnreachable) {
			o.unreachable = err
		}
		return nil, err
	}
	for _, key := range candidates {
		if payload, err := jws.Verify(&key); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("the signature does not verify with the issuer's keys")
}

// keysFor returns the keys a token of key id kid may be signed with.
func (k *keys) keysFor(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	if known := k.cached(kid); len(known) > 0 {
		return known, nil
	}
	k.fetching.Lock()
	defer k.fetching.Unlock()
	if known := k.cached(kid); len(known) > 0 { // fetched while this one waited
		return known, nil
	}
	if !k.limit.Allow() {
		k.mu.Lock()
		defer k.mu.Unlock()
		return nil, k.failedBy
	}
	set, err := k.fetch(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		k.failedBy = err
		return nil, err
	}
	k.set, k.failedBy = set, nil
	return matching(set, kid), nil
}

// cached returns the cached keys of key id kid (all of them for a token
// that names none).
func (k *keys) cached(kid string) []jose.JSONWebKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return matching(k.set, kid)
}

func matching(set []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, key := range set {
		if kid == "" || key.KeyID == kid {
			out = append(out, key)
		}
	}
	return out
}

// fetch gets the issuer's keys, after discovery when their URL is not known
// yet.
func (k *keys) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), issuerTimeout)
	defer cancel()
	k.mu.Lock()
	jwksURL := k.jwksURL
	k.mu.Unlock()
	if jwksURL == "" {
		provider, err := oidc.NewProvider(oidc.ClientContext(ctx, k.client), k.cfg.Issuer)
		if err != nil {
			return nil, fmt.Errorf("%w: discovery at %s: %w", errUnreachable, k.cfg.Issuer, err)
		}
		var doc struct {
			JWKSURL string `json:"jwks_uri"`
		}
		if err := provider.Claims(&doc); err != nil || doc.JWKSURL == "" {
			return nil, fmt.Errorf("%w: the discovery document of %s names no jwks_uri", errUnreachable, k.cfg.Issuer)
		}
		jwksURL = doc.JWKSURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnreachable, err)
	}
	res, err := k.client.Do(req)
	if err != nil {
		return nil, err // issuerTransport wrapped it in errUnreachable
	}
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(http.MaxBytesReader(nil, res.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("%w: the keys at %s cannot be read: %w", errUnreachable, jwksURL, err)
	}
	k.mu.Lock()
	k.jwksURL = jwksURL
	k.mu.Unlock()
	return set.Keys, nil
}

// issuerTransport makes every failure to reach the issuer, and every
// answer but 200, an error that wraps errUnreachable, so that it survives
// go-oidc's wrapping of errors and tells a fetch that failed from a token
// that is bad.
type issuerTransport struct{ base http.RoundTripper }

func (t issuerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnreachable, err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("%w: %s answered %s", errUnreachable, req.URL.Redacted(), res.Status)
	}
	return res, nil
}
