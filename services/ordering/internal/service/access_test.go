package service_test

import (
	"net/http"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
)

// An issuer that is down when ordering starts does not keep it from being
// ready; the card types are served, and a buyer's list answers 503 until
// the issuer is back. (The access table itself is tested on the HTTP
// layer: internal/httpapi's TestAccess.)
func TestAnIssuerDownAtStart(t *testing.T) {
	iss := testkit.NewIssuer(t)
	iss.Stop()
	env := iss.Env()
	env["DATABASE_URL"] = testkit.NewDatabase(t)
	s := underTest(t, testkit.StartService(t, "ordering", service.New, env, nil), env["DATABASE_URL"])
	if types := s.cardTypes(); len(types) != 3 {
		t.Fatalf("card types: %v", types)
	}
	testkit.CheckIssuerComesBack(t, s.Client.As(iss.Buyer("alice")), iss, "GET", "/api/orders", nil, http.StatusOK)
}
