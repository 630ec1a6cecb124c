// Package httpapi is ordering's HTTP API (/api/orders, described by
// services/ordering/openapi.yaml): a buyer's orders, an order's details,
// cancel and ship, and the card types. Errors are problem details: 400 for
// bad input, 404 for an unknown order, 409 for a status that does not allow
// the command.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/go-chi/chi/v5"
)

// Orders is what the API needs of the store.
type Orders interface {
	ListByBuyer(ctx context.Context, buyerID string) ([]ordering.Summary, error)
	// Get returns ordering.ErrNotFound for an unknown number.
	Get(ctx context.Context, number int64) (*ordering.Order, error)
	// Change applies change and saves the order with its status events; an
	// error of change is returned as is.
	Change(ctx context.Context, number int64, change func(*ordering.Order) error) (*ordering.Order, error)
	CardTypes(ctx context.Context) ([]ordering.CardType, error)
}

// maxBuyerIDLength bounds the buyerId query parameter.
const maxBuyerIDLength = 200

// NewHandler returns the service's whole HTTP surface: the API and, when
// health is not nil, /healthz and /readyz.
func NewHandler(logger *slog.Logger, orders Orders, health *host.Health) http.Handler {
	r := httpkit.NewRouter(logger)
	if health != nil {
		r.Get("/healthz", health.Live)
		r.Get("/readyz", health.Ready)
	}
	a := &api{orders: orders}
	r.Route("/api/orders", func(r chi.Router) {
		r.Get("/", a.list)
		r.Get("/cardtypes", a.cardTypes)
		r.Get("/{orderNumber}", a.get)
		r.Put("/{orderNumber}/cancel", a.cancel)
		r.Put("/{orderNumber}/ship", a.ship)
	})
	return r
}

type api struct {
	orders Orders
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
	ProductID   int         `json:"productId"`
	ProductName string      `json:"productName"`
	UnitPrice   money.Money `json:"unitPrice"`
	Units       int         `json:"units"`
	PictureURL  string      `json:"pictureUrl"`
}

type cardType struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	buyerID := r.URL.Query().Get("buyerId")
	var v httpkit.Validation
	v.Check(buyerID != "", "buyerId", "is required")
	v.Check(len(buyerID) <= maxBuyerIDLength, "buyerId", "must be at most 200 characters")
	if p := v.Err(); p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	list, err := a.orders.ListByBuyer(r.Context(), buyerID)
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

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	number, p := httpkit.PathInt(r, "orderNumber")
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	o, err := a.orders.Get(r.Context(), number)
	if err != nil {
		a.fail(w, r, number, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, details(o))
}

func (a *api) cancel(w http.ResponseWriter, r *http.Request) {
	a.change(w, r, (*ordering.Order).Cancel)
}

func (a *api) ship(w http.ResponseWriter, r *http.Request) {
	a.change(w, r, (*ordering.Order).Ship)
}

// change applies a buyer's or an operator's command and answers with the
// order as it is afterwards.
func (a *api) change(w http.ResponseWriter, r *http.Request, command func(*ordering.Order) error) {
	number, p := httpkit.PathInt(r, "orderNumber")
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	o, err := a.orders.Change(r.Context(), number, command)
	if err != nil {
		a.fail(w, r, number, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, details(o))
}

func (a *api) cardTypes(w http.ResponseWriter, r *http.Request) {
	types, err := a.orders.CardTypes(r.Context())
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

// fail answers the errors of the domain with their status.
func (a *api) fail(w http.ResponseWriter, r *http.Request, number int64, err error) {
	var transition *ordering.TransitionError
	switch {
	case errors.Is(err, ordering.ErrNotFound):
		httpkit.Fail(w, http.StatusNotFound, "there is no order "+strconv.FormatInt(number, 10))
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
