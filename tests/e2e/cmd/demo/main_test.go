package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// In a container the demo reaches identity's public URL at its internal
// address, with the Host the issuer knows; other hosts are left alone.
func TestRequestsForTheIssuerGoToTheInternalAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Host+" "+r.URL.Path)
	}))
	defer srv.Close()
	c := &http.Client{Transport: rewriteHost{from: "identity.example:8085", to: strings.TrimPrefix(srv.URL, "http://"), next: http.DefaultTransport}}
	res, err := c.Get("http://identity.example:8085/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if got := string(body); got != "identity.example:8085 /.well-known/openid-configuration" {
		t.Errorf("identity got %q", got)
	}
	if _, err := c.Get("http://other.invalid/"); err == nil {
		t.Error("a request for another host reached the internal address")
	}
}
