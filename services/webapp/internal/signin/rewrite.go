package signin

import (
	"net/http"
	"net/url"
	"strings"
)

// rewrite sends the webapp's requests for the provider's public URL (from)
// to its internal URL (to): the discovery document names every endpoint
// at the public URL, which a container may not reach.
type rewrite struct {
	from, to string
	base     http.RoundTripper
}

func (t rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	if u := req.URL.String(); strings.HasPrefix(u, t.from+"/") || u == t.from {
		target, err := url.Parse(t.to + strings.TrimPrefix(u, t.from))
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.URL, req.Host = target, ""
	}
	return t.base.RoundTrip(req)
}
