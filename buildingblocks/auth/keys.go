package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// errUnreachable marks a failure to get the issuer's discovery document or
// keys: the issuer is down or answers an error. A token that cannot be
// checked for it is not the caller's fault (503, not 401).
var errUnreachable = errors.New("the issuer's keys cannot be fetched")

// issuerTimeout bounds each request to the issuer; retryInterval is how
// long a failed discovery is remembered before the next request tries
// again, so that an issuer that is down is not asked once per request.
const (
	issuerTimeout = 5 * time.Second
	retryInterval = time.Second
)

// keys is the go-oidc KeySet the verifier checks signatures with. It holds
// a go-oidc RemoteKeySet, which caches the keys and fetches them again when
// a token names a key id it has not seen; keys only finds out where that
// set is: at Config.JWKSURL, or else at the jwks_uri of the issuer's
// discovery document, read on first use (never while the service starts)
// and again after a failure.
type keys struct {
	cfg Config
	// client is a context that only carries the HTTP client go-oidc uses.
	client context.Context

	mu       sync.Mutex
	remote   *oidc.RemoteKeySet
	failed   time.Time // when discovery last failed, and why
	failedBy error
}

func newKeys(cfg Config) *keys {
	client := &http.Client{Timeout: issuerTimeout, Transport: issuerTransport{http.DefaultTransport}}
	k := &keys{cfg: cfg, client: oidc.ClientContext(context.Background(), client)}
	if cfg.JWKSURL != "" {
		k.remote = oidc.NewRemoteKeySet(k.client, cfg.JWKSURL)
	}
	return k
}

// VerifySignature implements oidc.KeySet. When the keys cannot be fetched
// it records that in ctx's outcome (see Verifier.Verify): go-oidc keeps
// only the text of the error.
func (k *keys) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	remote, err := k.remoteSet()
	if err == nil {
		var payload []byte
		if payload, err = remote.VerifySignature(ctx, jwt); err == nil {
			return payload, nil
		}
	}
	if o, ok := ctx.Value(outcomeKey{}).(*outcome); ok && errors.Is(err, errUnreachable) {
		o.unreachable = err
	}
	return nil, err
}

// remoteSet returns the key set, after discovery when it is not known yet.
// Concurrent callers wait for one discovery; a failure is answered at once
// for retryInterval.
func (k *keys) remoteSet() (*oidc.RemoteKeySet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.remote != nil {
		return k.remote, nil
	}
	if time.Since(k.failed) < retryInterval {
		return nil, k.failedBy
	}
	provider, err := oidc.NewProvider(k.client, k.cfg.Issuer)
	if err != nil {
		k.failed, k.failedBy = time.Now(), fmt.Errorf("%w: discovery at %s: %w", errUnreachable, k.cfg.Issuer, err)
		return nil, k.failedBy
	}
	var doc struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := provider.Claims(&doc); err != nil || doc.JWKSURL == "" {
		k.failed, k.failedBy = time.Now(), fmt.Errorf("%w: the discovery document of %s names no jwks_uri", errUnreachable, k.cfg.Issuer)
		return nil, k.failedBy
	}
	k.remote = oidc.NewRemoteKeySet(k.client, doc.JWKSURL)
	return k.remote, nil
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
