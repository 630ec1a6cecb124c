// Package shopapi calls the shop's HTTP APIs (catalog, basket, ordering)
// for the webapp, with the signed-in user's access token: a small typed
// client per API, its answers decoded into the types of this package. The
// end-to-end tests' client (tests/e2e/shop) speaks the same JSON with
// these types.
//
// An answer 4xx comes back as a *Problem, the API's problem details; an
// API that cannot be reached or answers 5xx as an error that wraps
// ErrUnavailable, which the pages show as 502.
package shopapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// ErrUnavailable marks an API that cannot answer now: down, unreachable, or
// answering 5xx.
var ErrUnavailable = errors.New("the service is unavailable")

// Problem is an API's refusal (4xx): its problem details, as every
// service writes them.
type Problem struct{ httpapi.Problem }

// statusProblem is the problem of an answer with status whose body says
// no more.
func statusProblem(status int) *Problem {
	return &Problem{httpapi.Problem{Status: status, Title: http.StatusText(status)}}
}

// Error is what the user reads first: the detail, else the title.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Detail
	}
	return p.Title
}

// Messages returns what the user should read: the detail and each field's
// messages.
func (p *Problem) Messages() []string {
	out := []string{p.Error()}
	for field, msgs := range p.Errors {
		for _, m := range msgs {
			out = append(out, field+": "+m)
		}
	}
	return out
}

// IsStatus reports whether err is a Problem with status.
func IsStatus(err error, status int) bool {
	var p *Problem
	return errors.As(err, &p) && p.Status == status
}

// timeout bounds each call to an API.
const timeout = 10 * time.Second

// api is one API at base (e.g. http://catalog:8081).
type api struct {
	name string
	base string
	http *http.Client
}

func newAPI(name, base string) api {
	return api{name: name, base: strings.TrimSuffix(base, "/"), http: &http.Client{Timeout: timeout}}
}

// call is one request to an API.
type call struct {
	method, path string
	token        string // the user's access token, or none
	body         any
	header       http.Header
	out          any // decoded from a 2xx JSON answer
}

// do sends c and returns the answer's header.
func (a api) do(ctx context.Context, c call) (http.Header, error) {
	var body io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, a.base+c.path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	// The page's request id (its correlation id) goes on in the API's logs.
	if id := eventbus.CorrelationID(ctx); id != "" {
		req.Header.Set(httpapi.RequestIDHeader, id)
	}
	res, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, a.name, err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode >= 500:
		return nil, fmt.Errorf("%w: %s answered %s", ErrUnavailable, a.name, res.Status)
	case res.StatusCode >= 400:
		p := statusProblem(res.StatusCode)
		_ = json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(p)
		p.Status = res.StatusCode
		return res.Header, p
	}
	if c.out != nil {
		if err := json.NewDecoder(res.Body).Decode(c.out); err != nil {
			return nil, fmt.Errorf("%w: %s: its answer: %w", ErrUnavailable, a.name, err)
		}
	}
	return res.Header, nil
}
