package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/google/uuid"
)

// RequestIDHeader carries the id that makes a checkout idempotent: a UUID
// the client chooses once per checkout and sends again on a retry, echoed
// in the 202's body (requestId). It is not X-Request-Id
// (httpkit.RequestIDHeader), which every service takes as the correlation
// id of a request and of the events it causes, and echoes; a checkout that
// comes without an X-Request-Id of its own is correlated by its
// x-requestid, so the 202 echoes the one id the client sent in both.
const RequestIDHeader = "x-requestid"

// checkoutRequest is the body of POST /checkout. It has no card number and
// no security code: the client handed those to payment, which answered the
// token. A body that sends them anyway is refused (CardNumber and
// CardSecurityNumber only tell that they were sent), so that a client still
// sending the card learns it at once. Nor has it the buyer: the buyer is
// who the token says (a "buyer" older clients send is ignored, as every
// unknown field is).
type checkoutRequest struct {
	CardNumber         json.RawMessage `json:"cardNumber"`
	CardSecurityNumber json.RawMessage `json:"cardSecurityNumber"`

	City           string    `json:"city"`
	Street         string    `json:"street"`
	State          string    `json:"state"`
	Country        string    `json:"country"`
	ZipCode        string    `json:"zipCode"`
	PaymentToken   string    `json:"paymentToken"`
	CardLast4      string    `json:"cardLast4"`
	CardHolderName string    `json:"cardHolderName"`
	CardExpiration time.Time `json:"cardExpiration"`
	CardTypeID     int       `json:"cardTypeId"`
}

type checkoutResponse struct {
	RequestID uuid.UUID `json:"requestId"`
}

// checkout accepts the buyer's basket for ordering: it commits a
// UserCheckoutAccepted event through the outbox and answers 202. The basket
// stays until ordering's OrderStarted arrives. The same x-requestid is
// accepted once; a retry gets 202 again without a second event.
func (h *handlers) checkout(w http.ResponseWriter, r *http.Request) {
	id, p := buyerID(r)
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	requestID, err := uuid.Parse(r.Header.Get(RequestIDHeader))
	if err != nil || requestID == uuid.Nil {
		var v httpkit.Validation
		v.Add(RequestIDHeader, "the header is required and must be a UUID")
		httpkit.WriteProblem(w, v.Err())
		return
	}
	c, p := decodeCheckout(r, auth.From(r.Context()), requestID, time.Now())
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	ctx := r.Context()
	if r.Header.Get(httpkit.RequestIDHeader) != w.Header().Get(httpkit.RequestIDHeader) {
		// The router made the correlation id up: the checkout's id
		// correlates better, and is the one id the client knows.
		ctx = eventbus.WithCorrelationID(ctx, requestID.String())
		w.Header().Set(httpkit.RequestIDHeader, requestID.String())
	}
	replayed, err := h.store.Checkout(ctx, c)
	var lines *basket.LinesError
	switch {
	case errors.Is(err, basket.ErrEmptyBasket):
		httpkit.Fail(w, http.StatusBadRequest, "the basket is empty; put items in it before checking out")
		return
	case errors.As(err, &lines):
		httpkit.WriteProblem(w, httpkit.Validation(lines.Problems).Err())
		return
	case errors.Is(err, basket.ErrRequestIDTaken):
		httpkit.Fail(w, http.StatusConflict, "this x-requestid was already used for another buyer's checkout")
		return
	case err != nil:
		httpkit.InternalError(w, r, err)
		return
	}
	httpkit.LoggerFrom(r.Context()).InfoContext(r.Context(), "checkout accepted",
		"buyer_id", id, "checkout_request_id", requestID, "replayed", replayed)
	httpkit.WriteJSON(w, http.StatusAccepted, checkoutResponse{RequestID: requestID})
}

// decodeCheckout reads a checkout body into a valid checkout of the buyer
// the claims name (their sub is the buyer id, their name the buyer's), or a
// 4xx problem. now is when the card must not have expired.
func decodeCheckout(r *http.Request, buyer auth.Claims, requestID uuid.UUID, now time.Time) (basket.Checkout, *httpkit.Problem) {
	var req checkoutRequest
	if p := httpkit.DecodeJSON(r, &req); p != nil {
		return basket.Checkout{}, p
	}
	c := basket.Checkout{
		BuyerID: buyer.Subject, RequestID: requestID,
		City: req.City, Street: req.Street, State: req.State, Country: req.Country, ZipCode: req.ZipCode,
		PaymentToken: req.PaymentToken, CardLast4: req.CardLast4, CardHolderName: req.CardHolderName,
		CardExpiration: req.CardExpiration, CardTypeID: req.CardTypeID, Buyer: buyer.DisplayName(),
	}
	problems := c.Validate(now)
	for field, sent := range map[string]bool{"cardNumber": req.CardNumber != nil, "cardSecurityNumber": req.CardSecurityNumber != nil} {
		if sent {
			problems[field] = []string{"must not be sent: hand the card to POST /api/payment/cards and check out with its paymentToken"}
		}
	}
	if len(problems) > 0 {
		return basket.Checkout{}, httpkit.Validation(problems).Err()
	}
	return c, nil
}
