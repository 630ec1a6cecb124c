package service_test

import (
	"net/http"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// The access table of docs/http-api.md for payment: tokenizing a card is
// public (the buyer's page calls it before any checkout), so no token is
// needed, and a token that is sent is not looked at.
func TestAccess(t *testing.T) {
	iss := testkit.NewIssuer(t)
	s, _ := startPayment(t, iss.Env(), nil)
	s.Client.For(t).JSON(http.MethodPost, cardsPath, cardBody(), http.StatusCreated, nil)
	s.Client.As(iss.InvalidTokens("alice")["expired"]).For(t).JSON(http.MethodPost, cardsPath, cardBody(), http.StatusCreated, nil)
	s.Client.For(t).JSON(http.MethodGet, "/healthz", nil, http.StatusOK, nil)
}
