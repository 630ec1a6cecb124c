package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Client calls a service under test over HTTP. Each service's tests wrap it
// in a small typed client with the service's operations. When Contract is
// set, every response is checked against the service's OpenAPI document.
type Client struct {
	T        testing.TB
	BaseURL  string // e.g. http://127.0.0.1:41234
	Contract *Contract
	// Token, when set, is sent as Authorization: Bearer (see [Issuer]).
	Token string
}

// For returns the client for test t, which may be a subtest of the one the
// client was made for: a failure is reported, and stops, the test that made
// the call.
func (c *Client) For(t testing.TB) *Client {
	cc := *c
	cc.T = t
	return &cc
}

// As returns the client calling with token ("" calls without one).
func (c *Client) As(token string) *Client {
	cc := *c
	cc.Token = token
	return &cc
}

// Response is an answer with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request and returns the answer. body is sent as it is when it
// is a string or []byte, as JSON otherwise, and not at all when nil; header
// is pairs of names and values.
func (c *Client) Do(method, path string, body any, header ...string) Response {
	c.T.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewReader([]byte(b))
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.T.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.BaseURL+path, r)
	if err != nil {
		c.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		c.T.Fatalf("%s %s: read the body: %v", method, path, err)
	}
	if c.Contract != nil {
		c.Contract.Check(c.T, req, res.StatusCode, res.Header, out)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: out}
}

// JSON sends a request that must answer want, and decodes its body into out
// (unless out is nil). Numbers decode as json.Number into an any, so that
// prices keep their digits.
func (c *Client) JSON(method, path string, body any, want int, out any, header ...string) Response {
	c.T.Helper()
	res := c.Do(method, path, body, header...)
	if res.Status != want {
		c.T.Fatalf("%s %s: status %d, want %d; body %.500s", method, path, res.Status, want, res.Body)
	}
	if out != nil {
		dec := json.NewDecoder(bytes.NewReader(res.Body))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			c.T.Fatalf("%s %s: decode %.500s: %v", method, path, res.Body, err)
		}
	}
	return res
}

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors map[string][]string `json:"errors"`
}

// Problem sends a request that must answer problem details with status
// want, and returns them.
func (c *Client) Problem(method, path string, body any, want int, header ...string) Problem {
	c.T.Helper()
	var p Problem
	res := c.JSON(method, path, body, want, &p, header...)
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		c.T.Fatalf("%s %s: Content-Type %q, want application/problem+json", method, path, ct)
	}
	if p.Status != want {
		c.T.Fatalf("%s %s: the problem says status %d, want %d", method, path, p.Status, want)
	}
	return p
}
