// Package httpapi is ordering's HTTP API (/api/orders, described by
// services/ordering/openapi.yaml): a buyer's orders, an order's details,
// cancel and ship, and the card types. Errors are problem details: 400 for
// bad input, 401/403 for a caller without the right (Mount), 404 for an
// unknown order or another buyer's, 409 for a status that does not allow
// the command.
package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/validate"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/go-chi/chi/v5"
)

// Store is what the API needs of ordering's storage.
type Store interface {
	ListByBuyer(ctx context.Context, buyerID string) ([]ordering.Summary, error)
	// Get returns ordering.ErrNotFound for an unknown number.
	Get(ctx context.Context, number int64) (*ordering.Order, error)
	// Change applies change and saves the order with its status events; an
	// error of change is returned as is.
	Change(ctx context.Context, number int64, change func(*ordering.Order) error) (*ordering.Order, error)
	CardTypes(ctx context.Context) ([]ordering.CardType, error)
}

// Settings are the settings of ordering a client may need to know, public
// at GET /api/orders/settings.
type Settings struct {
	// GracePeriod is how long an order stays Submitted (cancellable) before
	// its stock is checked: a client that follows an order, such as the
	// demo, waits that long for the next status.
	GracePeriod time.Duration
}

// Mount adds ordering's routes under /api/orders to r. The card types and
// the settings are public; the rest needs a token (authenticate checks it):
// a buyer reads and cancels their own orders, an admin reads any order and
// ships.
func Mount(r chi.Router, store Store, settings Settings, authenticate func(http.Handler) http.Handler) {
	h := &handlers{store: store, settings: settings}
	r.Route("/api/orders", func(r chi.Router) {
		r.Get("/cardtypes", h.cardTypes)
		r.Get("/settings", h.getSettings)
		r.Group(func(r chi.Router) {
			r.Use(authenticate)
			r.Get("/", h.list)
			r.Get("/{orderNumber}", h.get)
			r.Put("/{orderNumber}/cancel", h.cancel)
			r.With(auth.RequireRole(auth.RoleAdmin)).Put("/{orderNumber}/ship", h.ship)
		})
	})
}

// mayRead reports whether the caller may see order o: its buyer, or an
// admin. To anyone else the order does not exist (404), so that order
// numbers tell nothing of other buyers.
func mayRead(caller auth.Claims, o *ordering.Order) bool {
	return o.Buyer.ID == caller.Subject || caller.HasRole(auth.RoleAdmin)
}

type handlers struct {
	store    Store
	settings Settings
}

// orderSummary is an order in a buyer's list.
type orderSummary struct {
	OrderNumber int64       `json:"orderNumber"`
	Date        time.Time   `json:"date"`
	Status      string      `json:"status"`
	Total       money.Money `json:"total"`
}

// orderDetails is one order with its lines.
type orderDetails struct {
	OrderNumber int64       `json:"orderNumber"`
	Date        time.Time   `json:"date"`
	Status      string      `json:"status"`
	Description string      `json:"description"`
	Street      string      `json:"street"`
	City        string      `json:"city"`
	State       string      `json:"state"`
	Country     string      `json:"country"`
	ZipCode     string      `json:"zipCode"`
	OrderItems  []orderItem `json:"orderItems"`
	Total       money.Money `json:"total"`
	BuyerID     string      `json:"buyerId"`
}

type orderItem struct {
	ProductID   int64       `json:"productId"`
	ProductName string      `json:"productName"`
	UnitPrice   money.Money `json:"unitPrice"`
	Units       int         `json:"units"`
	PictureURL  string      `json:"pictureUrl"`
}

type cardType struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// list answers the orders of buyerId, by default the caller's own; only an
// admin may list another buyer's.
func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	caller := auth.From(r.Context())
	buyerID := r.URL.Query().Get("buyerId")
	if buyerID == "" {
		buyerID = caller.Subject
	}
	var v httpkit.Validation
	// PostgreSQL refuses what is not UTF-8, and no buyer id holds a
	// control character (NUL among them).
	if err := validate.BuyerID(buyerID); err != nil {
		v.Check(false, "buyerId", err.Error())
	}
	if p := v.Err(); p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	if buyerID != caller.Subject && !caller.HasRole(auth.RoleAdmin) {
		httpkit.Fail(w, http.StatusForbidden, "a buyer may only list their own orders")
		return
	}
	list, err := h.store.ListByBuyer(r.Context(), buyerID)
	if err != nil {
		httpkit.InternalError(w, r, err)
		return
	}
	out := make([]orderSummary, len(list))
	for i, o := range list {
		out[i] = orderSummary{OrderNumber: o.Number, Date: o.Date.UTC(), Status: string(o.Status), Total: o.Total}
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	number, p := httpkit.PathInt(r, "orderNumber")
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	o, err := h.store.Get(r.Context(), number)
	if err == nil && !mayRead(auth.From(r.Context()), o) {
		err = ordering.ErrNotFound
	}
	if err != nil {
		fail(w, r, number, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, details(o))
}

// errNotTheBuyer is an admin's cancel of another buyer's order: the admin
// may read it, but only its buyer may cancel it.
var errNotTheBuyer = errors.New("only the order's buyer may cancel it")

// cancel cancels one of the caller's own orders.
func (h *handlers) cancel(w http.ResponseWriter, r *http.Request) {
	caller := auth.From(r.Context())
	h.change(w, r, func(o *ordering.Order) error {
		switch {
		case !mayRead(caller, o):
			return ordering.ErrNotFound
		case o.Buyer.ID != caller.Subject:
			return errNotTheBuyer
		}
		return o.Cancel()
	})
}

// ship ships an order; the route lets only an admin through.
func (h *handlers) ship(w http.ResponseWriter, r *http.Request) {
	h.change(w, r, (*ordering.Order).Ship)
}

// change applies a buyer's or an operator's command, in the store's
// transaction, and answers with the order as it is afterwards.
func (h *handlers) change(w http.ResponseWriter, r *http.Request, command func(*ordering.Order) error) {
	number, p := httpkit.PathInt(r, "orderNumber")
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	o, err := h.store.Change(r.Context(), number, command)
	if err != nil {
		fail(w, r, number, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, details(o))
}

func (h *handlers) cardTypes(w http.ResponseWriter, r *http.Request) {
	types, err := h.store.CardTypes(r.Context())
	if err != nil {
		httpkit.InternalError(w, r, err)
		return
	}
	out := make([]cardType, len(types))
	for i, t := range types {
		out[i] = cardType{ID: t.ID, Name: t.Name}
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

// getSettings answers the grace period in whole seconds (rounded up), so
// that a client waits at least as long as ordering does.
func (h *handlers) getSettings(w http.ResponseWriter, _ *http.Request) {
	secs := (h.settings.GracePeriod + time.Second - 1) / time.Second
	httpkit.WriteJSON(w, http.StatusOK, map[string]int64{"gracePeriodSeconds": int64(secs)})
}

// fail answers the errors of the domain with their status.
func fail(w http.ResponseWriter, r *http.Request, number int64, err error) {
	var transition *ordering.TransitionError
	switch {
	case errors.Is(err, ordering.ErrNotFound):
		httpkit.Fail(w, http.StatusNotFound, "there is no order "+strconv.FormatInt(number, 10))
	case errors.Is(err, errNotTheBuyer):
		httpkit.Fail(w, http.StatusForbidden, err.Error())
	case errors.As(err, &transition):
		httpkit.Fail(w, http.StatusConflict, transition.Error())
	default:
		httpkit.InternalError(w, r, err)
	}
}

func details(o *ordering.Order) orderDetails {
	items := make([]orderItem, len(o.Items))
	for i, it := range o.Items {
		items[i] = orderItem{ProductID: it.ProductID, ProductName: it.ProductName, UnitPrice: it.UnitPrice, Units: it.Units, PictureURL: it.PictureURL}
	}
	return orderDetails{
		OrderNumber: o.Number,
		Date:        o.Date.UTC(),
		Status:      string(o.Status),
		Description: o.Description,
		Street:      o.Address.Street,
		City:        o.Address.City,
		State:       o.Address.State,
		Country:     o.Address.Country,
		ZipCode:     o.Address.ZipCode,
		OrderItems:  items,
		Total:       o.Total(),
		BuyerID:     o.Buyer.ID,
	}
}
