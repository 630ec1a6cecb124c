package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
	"github.com/google/uuid"
)

type address struct {
	Street, City, State, Country, ZipCode string
}

type checkoutPage struct {
	Errors     []string
	Lines      int
	Total      money.Money
	Address    address
	CardTypes  []shopapi.CardType
	PaymentURL string
	// BuyerID is the signed-in buyer's id (their sub): the page asks
	// payment for a token that pays only this buyer's orders.
	BuyerID string
	// RequestID identifies this checkout: the form posts it back, and
	// basket makes one order of every post of the same form.
	RequestID string
}

// checkoutForm is GET /checkout.
func (h *handlers) checkoutForm(w http.ResponseWriter, r *http.Request) {
	h.showCheckout(w, r, http.StatusOK, address{}, "", nil)
}

// showCheckout shows the checkout form with status, the address entered
// and errors; requestID is the form's, or "" for a new one.
func (h *handlers) showCheckout(w http.ResponseWriter, r *http.Request, status int, a address, requestID string, errs []string) {
	u, _, b, ok := h.buyersBasket(w, r)
	if !ok {
		return
	}
	if len(b.Items) == 0 {
		h.redirect(w, r, "/basket", "Your basket is empty: there is nothing to check out.")
		return
	}
	cardTypes, err := h.Ordering.CardTypes(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if requestID == "" {
		requestID = uuid.NewString()
	}
	view := viewBasket(b)
	p := h.newPage(r, "Checkout", checkoutPage{Errors: errs, Lines: len(view.Lines), Total: view.Total, Address: a,
		CardTypes: cardTypes, PaymentURL: strings.TrimSuffix(h.PaymentPublicURL, "/"), BuyerID: u.Subject, RequestID: requestID})
	p.Scripts = []string{"checkout.js"}
	h.render(w, r, status, "checkout", p)
}

// checkout is POST /checkout: basket's checkout with the address and the
// card as payment tokenized it, as the user whose name the order carries;
// then to the orders, where the new one appears when ordering made it.
func (h *handlers) checkout(w http.ResponseWriter, r *http.Request) {
	u, token, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	f := r.PostForm
	a := address{Street: f.Get("street"), City: f.Get("city"), State: f.Get("state"), Country: f.Get("country"), ZipCode: f.Get("zipCode")}
	requestID := f.Get("requestId")
	if _, err := uuid.Parse(requestID); err != nil {
		requestID = ""
	}
	cardType, err := strconv.Atoi(f.Get("cardTypeId"))
	switch {
	case f.Get("paymentToken") == "":
		h.showCheckout(w, r, http.StatusBadRequest, a, requestID, []string{"The card was not tokenized by payment: this page needs JavaScript to pay."})
		return
	case err != nil:
		h.showCheckout(w, r, http.StatusBadRequest, a, requestID, []string{"Choose a card type."})
		return
	case requestID == "":
		h.showCheckout(w, r, http.StatusBadRequest, a, "", []string{"The form has expired; please send it again."})
		return
	}
	err = h.Basket.Checkout(r.Context(), token, u.Subject, requestID, shopapi.Checkout{
		Street: a.Street, City: a.City, State: a.State, Country: a.Country, ZipCode: a.ZipCode,
		PaymentToken: f.Get("paymentToken"), CardLast4: f.Get("cardLast4"), CardHolderName: f.Get("cardHolderName"),
		CardExpiration: f.Get("cardExpiration"), CardTypeID: cardType, Buyer: u.Name,
	})
	var refused *shopapi.Problem
	if errors.As(err, &refused) && refused.Status == http.StatusBadRequest {
		h.showCheckout(w, r, http.StatusBadRequest, a, requestID, refused.Messages())
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Sessions.Put(r.Context(), keyBasketCount, 0)
	h.redirect(w, r, "/orders", "Thank you! Your order is on its way; its status changes below as it happens.")
}
