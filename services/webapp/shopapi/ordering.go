package shopapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

// OrderSummary is an order in a buyer's list.
type OrderSummary struct {
	OrderNumber int64       `json:"orderNumber"`
	Date        time.Time   `json:"date"`
	Status      string      `json:"status"`
	Total       money.Money `json:"total"`
}

// Order is an order in full.
type Order struct {
	OrderNumber int64       `json:"orderNumber"`
	Date        time.Time   `json:"date"`
	Status      string      `json:"status"`
	Description string      `json:"description"`
	Street      string      `json:"street"`
	City        string      `json:"city"`
	State       string      `json:"state"`
	Country     string      `json:"country"`
	ZipCode     string      `json:"zipCode"`
	OrderItems  []OrderItem `json:"orderItems"`
	Total       money.Money `json:"total"`
}

// OrderItem is a line of an order.
type OrderItem struct {
	ProductID   int64       `json:"productId"`
	ProductName string      `json:"productName"`
	UnitPrice   money.Money `json:"unitPrice"`
	Units       int         `json:"units"`
	PictureURL  string      `json:"pictureUrl"`
}

// CardType is a kind of card payment takes.
type CardType struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// Ordering is the ordering API.
type Ordering struct{ api api }

// NewOrdering returns the client of the ordering service at baseURL.
func NewOrdering(baseURL string) *Ordering { return &Ordering{newAPI("ordering", baseURL)} }

// Orders returns the orders of the buyer whose token it is, newest first.
func (o *Ordering) Orders(ctx context.Context, token string) ([]OrderSummary, error) {
	var out []OrderSummary
	_, err := o.api.do(ctx, call{method: http.MethodGet, path: "/api/orders/", token: token, out: &out})
	return out, err
}

// Order returns one of the buyer's orders (404 for another buyer's).
func (o *Ordering) Order(ctx context.Context, token string, number int64) (Order, error) {
	var out Order
	_, err := o.api.do(ctx, call{method: http.MethodGet, path: "/api/orders/" + strconv.FormatInt(number, 10), token: token, out: &out})
	return out, err
}

// CardTypes returns the card types a checkout may use.
func (o *Ordering) CardTypes(ctx context.Context) ([]CardType, error) {
	var out []CardType
	_, err := o.api.do(ctx, call{method: http.MethodGet, path: "/api/orders/cardtypes", out: &out})
	return out, err
}
