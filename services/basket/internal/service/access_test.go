package service_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// The access table of docs/http-api.md for the basket: every call needs a
// buyer's token, and a buyer only reaches their own basket.
func TestAccess(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "bob", item(7, "10.00"))
	calls := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/basket/bob", nil},
		{"PUT", "/api/basket/bob", map[string]any{"items": []itemJSON{item(7, "1.00")}}},
		{"DELETE", "/api/basket/bob", nil},
		{"POST", "/api/basket/bob/checkout", checkoutBody("Bob")},
	}
	alice := s.Client.As(s.Issuer.Buyer("alice"))
	for _, c := range calls {
		testkit.CheckAuthRequired(t, s.Client, s.Issuer, c.method, c.path, c.body, "x-requestid", uuid.NewString())
		alice.For(t).Problem(c.method, c.path, c.body, http.StatusForbidden, "x-requestid", uuid.NewString())
	}
	// A client's own token (client credentials) is no buyer's: it has no
	// basket, not even at its own sub.
	machine := s.Client.As(s.Issuer.Machine("machine"))
	for _, c := range calls {
		path := strings.Replace(c.path, "/bob", "/machine", 1)
		machine.For(t).Problem(c.method, path, c.body, http.StatusForbidden, "x-requestid", uuid.NewString())
	}
	// Nor is the admin role a way into a buyer's basket.
	s.Client.As(s.Issuer.Admin()).For(t).Problem("GET", "/api/basket/bob", nil, http.StatusForbidden)
	if b := s.getBasket(t, "bob"); len(b.Items) != 1 || b.Items[0].UnitPrice != "10.00" {
		t.Fatalf("bob's basket changed: %+v", b)
	}
	if n := s.outboxRows(t); n != 0 {
		t.Fatalf("the refused checkouts stored %d events", n)
	}
	s.Client.As("").For(t).JSON("GET", "/healthz", nil, http.StatusOK, nil)
}

func TestATokenOfARotatedKeyIsAccepted(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.getBasket(t, "alice") // caches the first key
	s.Issuer.Rotate()
	s.getBasket(t, "alice")
}

// An issuer that is down when the basket starts does not keep it from
// being ready; a call answers 503 until the issuer is back.
func TestAnIssuerDownAtStart(t *testing.T) {
	t.Parallel()
	s := launchBasket(t, map[string]string{"DATABASE_URL": testkit.NewDatabase(t)}, nil)
	s.Issuer.Stop()
	testkit.WaitReady(t, s.URL)
	testkit.CheckIssuerComesBack(t, s.Client.As(s.Issuer.Buyer("alice")), s.Issuer, "GET", "/api/basket/alice", nil, http.StatusOK)
}
