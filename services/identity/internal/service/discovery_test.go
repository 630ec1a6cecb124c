package service_test

import (
	"slices"
	"testing"
)

func TestDiscoveryNamesTheIssuerItsEndpointsAndWhatItSupports(t *testing.T) {
	s := startIdentity(t)
	doc := s.discovery()
	if doc["issuer"] != s.URL {
		t.Errorf("issuer = %v, want %s", doc["issuer"], s.URL)
	}
	for _, endpoint := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "end_session_endpoint", "revocation_endpoint"} {
		if v, _ := doc[endpoint].(string); len(v) <= len(s.URL) || v[:len(s.URL)] != s.URL {
			t.Errorf("%s = %v, want a URL under the issuer", endpoint, doc[endpoint])
		}
	}
	for field, want := range map[string]string{
		"code_challenge_methods_supported":      "S256",
		"grant_types_supported":                 "client_credentials",
		"id_token_signing_alg_values_supported": "ES256",
		"response_types_supported":              "code",
		"scopes_supported":                      "offline_access",
	} {
		list, _ := doc[field].([]any)
		if !slices.Contains(list, any(want)) {
			t.Errorf("%s = %v, want it to contain %s", field, doc[field], want)
		}
	}
	if list, _ := doc["grant_types_supported"].([]any); !slices.Contains(list, any("refresh_token")) {
		t.Errorf("grant_types_supported = %v, want refresh_token", list)
	}
}

func TestJWKSPublishesThePublicHalfOfTheSigningKey(t *testing.T) {
	s := startIdentity(t)
	jwks := s.getJSON(s.discovery()["jwks_uri"].(string))
	keys, _ := jwks["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("a new database's JWKS has %d keys, want 1: %v", len(keys), jwks)
	}
	key := keys[0].(map[string]any)
	for field, want := range map[string]string{"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig"} {
		if key[field] != want {
			t.Errorf("key %s = %v, want %s", field, key[field], want)
		}
	}
	if kid, _ := key["kid"].(string); kid == "" {
		t.Error("the key has no kid")
	}
	if _, private := key["d"]; private {
		t.Fatal("the JWKS publishes the private key")
	}
}
