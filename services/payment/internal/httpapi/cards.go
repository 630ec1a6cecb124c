// Package httpapi is payment's HTTP API (/api/payment, see openapi.yaml):
// card tokenization, the only endpoint of the shop that ever receives card
// data. Nothing of a card is logged: the access log has no bodies, and the
// problems never repeat the card.
package httpapi

import (
	"net/http"
	"time"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/cors"
)

// BasePath is where the API is mounted.
const BasePath = "/api/payment"

// Sealer seals a valid card into a payment token.
type Sealer interface {
	Seal(c payment.Card, buyer string, now time.Time) (token string, expiresAt time.Time, err error)
}

// Mount adds payment's routes under BasePath to r. The buyer's browser
// calls them from the storefront's page, so they answer CORS requests from
// allowedOrigins.
func Mount(r chi.Router, sealer Sealer, allowedOrigins []string) {
	h := &handlers{sealer: sealer}
	r.Route(BasePath, func(r chi.Router) {
		r.Use(cors.Handler(cors.Options{
			AllowedOrigins: allowedOrigins,
			AllowedMethods: []string{http.MethodPost},
			AllowedHeaders: []string{"Content-Type", httpkit.RequestIDHeader},
			ExposedHeaders: []string{httpkit.RequestIDHeader},
			MaxAge:         600,
		}))
		r.Post("/cards", h.tokenize)
	})
}

type handlers struct {
	sealer Sealer
}

// cardRequest is the body of POST /cards: a card and its security code,
// and the buyer the token is for.
type cardRequest struct {
	CardNumber         string    `json:"cardNumber"`
	CardHolderName     string    `json:"cardHolderName"`
	CardExpiration     time.Time `json:"cardExpiration"`
	CardSecurityNumber string    `json:"cardSecurityNumber"`
	CardTypeID         int       `json:"cardTypeId"`
	BuyerID            string    `json:"buyerId"`
}

// tokenResponse is what the client keeps and hands to checkout instead of
// the card.
type tokenResponse struct {
	PaymentToken   string    `json:"paymentToken"`
	CardLast4      string    `json:"cardLast4"`
	CardTypeID     int       `json:"cardTypeId"`
	CardHolderName string    `json:"cardHolderName"`
	CardExpiration time.Time `json:"cardExpiration"`
	ExpiresAt      time.Time `json:"expiresAt"`
}

// tokenize checks a card and answers its token (201), which pays only the
// buyer's orders. The security code is checked and then forgotten: it is
// in no token, log or answer.
func (h *handlers) tokenize(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	card, buyer, p := decodeCard(r, now)
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	token, expiresAt, err := h.sealer.Seal(card, buyer, now)
	if err != nil {
		httpkit.InternalError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusCreated, tokenResponse{
		PaymentToken: token, CardLast4: card.Last4(), CardTypeID: card.TypeID,
		CardHolderName: card.HolderName, CardExpiration: card.Expiration.UTC(), ExpiresAt: expiresAt,
	})
}

// decodeCard reads a POST /cards body into a valid card and its buyer, or
// a 4xx problem. now is when the card must not have expired.
func decodeCard(r *http.Request, now time.Time) (payment.Card, string, *httpkit.Problem) {
	var req cardRequest
	if p := httpkit.DecodeJSON(r, &req); p != nil {
		return payment.Card{}, "", p
	}
	card := payment.Card{Number: req.CardNumber, HolderName: req.CardHolderName, Expiration: req.CardExpiration, TypeID: req.CardTypeID}
	problems := payment.ValidateCard(card, req.CardSecurityNumber, now)
	payment.ValidateBuyer(problems, req.BuyerID)
	if len(problems) > 0 {
		return payment.Card{}, "", httpkit.Validation(problems).Err()
	}
	return card, req.BuyerID, nil
}
