// Package shop drives a running eShop-Go through its public HTTP APIs only,
// as a user would: it knows the contract (docs/http-api.md), not the services'
// code; its requests and answers are those the storefront's client
// (webapp's shopapi) decodes. `make demo` and the end-to-end tests walk
// the same story with it.
package shop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
)

// Client talks to the four services, anonymously or, with Token, as a
// signed-in user (see As).
type Client struct {
	CatalogURL, BasketURL, OrderingURL, PaymentURL string
	HTTP                                           *http.Client
	// Token, when set, gives the access token each call sends as
	// Authorization: Bearer.
	Token TokenSource
}

// TokenSource returns an access token of the user a client calls as. It
// may sign in, or refresh, as it needs: the end-to-end tests mint tokens
// with a test issuer; a login through identity (authorization code with
// PKCE, as a browser does) plugs in the same way.
type TokenSource func(ctx context.Context) (string, error)

// User is someone signed in: their id, the token's sub (a buyer's baskets
// and orders are under it), and where their tokens come from.
type User struct {
	ID     string
	Name   string // how the story names them, when it is not ID
	Tokens TokenSource
}

// As returns the client calling with tokens (nil: anonymously).
func (c *Client) As(tokens TokenSource) *Client {
	cc := *c
	cc.Token = tokens
	return &cc
}

// The answers and bodies of catalog, basket and ordering are the
// storefront's types (shopapi): one description of the same JSON.
type (
	Item         = shopapi.Item
	Page         = shopapi.ItemPage
	BasketItem   = shopapi.BasketItem
	Basket       = shopapi.Basket
	Checkout     = shopapi.Checkout
	OrderSummary = shopapi.OrderSummary
	Order        = shopapi.Order
)

// Card is the body of payment's POST /cards: the only request that ever
// carries a card.
type Card struct {
	CardNumber         string `json:"cardNumber"`
	CardHolderName     string `json:"cardHolderName"`
	CardExpiration     string `json:"cardExpiration"`
	CardSecurityNumber string `json:"cardSecurityNumber"`
	CardTypeID         int    `json:"cardTypeId"`
	// BuyerID is the buyer the token is for: it pays only their orders.
	BuyerID string `json:"buyerId"`
}

// PaymentToken is payment's answer to POST /cards: what a checkout carries
// instead of the card.
type PaymentToken struct {
	PaymentToken   string    `json:"paymentToken"`
	CardLast4      string    `json:"cardLast4"`
	CardTypeID     int       `json:"cardTypeId"`
	CardHolderName string    `json:"cardHolderName"`
	CardExpiration string    `json:"cardExpiration"`
	ExpiresAt      time.Time `json:"expiresAt"`
}

// StatusError is an answer with an unexpected status code.
type StatusError struct {
	Method, URL string
	Status      int
	Body        string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.Method, e.URL, e.Status, e.Body)
}

func (c *Client) do(ctx context.Context, method, url string, headers map[string]string, in, out any, want ...int) error {
	_, err := c.exchange(ctx, method, url, headers, in, out, want...)
	return err
}

// exchange is do that also returns the answer's headers.
func (c *Client) exchange(ctx context.Context, method, url string, headers map[string]string, in, out any, want ...int) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != nil {
		token, err := c.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s %s: sign in: %w", method, url, err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	ok := false
	for _, w := range want {
		ok = ok || res.StatusCode == w
	}
	if !ok {
		return res.Header, &StatusError{Method: method, URL: url, Status: res.StatusCode, Body: string(raw)}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.Header, fmt.Errorf("%s %s: decode answer: %w", method, url, err)
		}
	}
	return res.Header, nil
}

// Items returns the first page of the catalog (pageSize items).
func (c *Client) Items(ctx context.Context, pageSize int) (Page, error) {
	var p Page
	err := c.do(ctx, "GET", fmt.Sprintf("%s/api/catalog/items?pageIndex=0&pageSize=%d", c.CatalogURL, pageSize), nil, nil, &p, 200)
	return p, err
}

// Item returns one catalog item.
func (c *Client) Item(ctx context.Context, id int64) (Item, error) {
	var it Item
	err := c.do(ctx, "GET", fmt.Sprintf("%s/api/catalog/items/%d", c.CatalogURL, id), nil, nil, &it, 200)
	return it, err
}

// UpdateItem edits catalog item id as an editor (an admin) does: it reads the item and
// its ETag, applies change, and sends the item back with If-Match: the ETag
// (a changed price publishes an event). When the item changed in between
// (412: an order reserved stock, another edit), it reads it again and
// redoes the change, a few times at most.
func (c *Client) UpdateItem(ctx context.Context, id int64, change func(*Item)) (Item, error) {
	url := fmt.Sprintf("%s/api/catalog/items/%d", c.CatalogURL, id)
	var stale *StatusError
	for range 5 {
		var it Item
		h, err := c.exchange(ctx, "GET", url, nil, nil, &it, 200)
		if err != nil {
			return Item{}, err
		}
		change(&it)
		var out Item
		err = c.do(ctx, "PUT", url, map[string]string{"If-Match": h.Get("ETag")}, it, &out, 200)
		if errors.As(err, &stale) && stale.Status == http.StatusPreconditionFailed {
			continue
		}
		return out, err
	}
	return Item{}, fmt.Errorf("the item kept changing: %w", stale)
}

// Basket returns a buyer's basket.
func (c *Client) Basket(ctx context.Context, buyerID string) (Basket, error) {
	var b Basket
	err := c.do(ctx, "GET", c.BasketURL+"/api/basket/"+buyerID, nil, nil, &b, 200)
	return b, err
}

// SetBasket replaces a buyer's basket items.
func (c *Client) SetBasket(ctx context.Context, buyerID string, items []BasketItem) (Basket, error) {
	var b Basket
	err := c.do(ctx, "PUT", c.BasketURL+"/api/basket/"+buyerID, nil, map[string]any{"items": items}, &b, 200)
	return b, err
}

// Tokenize hands a card to payment for buyerID, as the storefront's page
// does, and returns its token: it pays one order of that buyer.
func (c *Client) Tokenize(ctx context.Context, buyerID string, card Card) (PaymentToken, error) {
	card.BuyerID = buyerID
	var t PaymentToken
	err := c.do(ctx, "POST", c.PaymentURL+"/api/payment/cards", nil, card, &t, 201)
	return t, err
}

// Checkout checks a basket out with requestID as x-requestid.
func (c *Client) Checkout(ctx context.Context, buyerID, requestID string, co Checkout) error {
	return c.do(ctx, "POST", c.BasketURL+"/api/basket/"+buyerID+"/checkout", map[string]string{"x-requestid": requestID}, co, nil, 202)
}

// Orders lists a buyer's orders, newest first.
func (c *Client) Orders(ctx context.Context, buyerID string) ([]OrderSummary, error) {
	var os []OrderSummary
	err := c.do(ctx, "GET", c.OrderingURL+"/api/orders?buyerId="+buyerID, nil, nil, &os, 200)
	return os, err
}

// Order returns an order's details.
func (c *Client) Order(ctx context.Context, number int64) (Order, error) {
	var o Order
	err := c.do(ctx, "GET", fmt.Sprintf("%s/api/orders/%d", c.OrderingURL, number), nil, nil, &o, 200)
	return o, err
}

// GracePeriod is how long ordering keeps an order Submitted before it
// checks the stock, as ordering says (GET /api/orders/settings).
func (c *Client) GracePeriod(ctx context.Context) (time.Duration, error) {
	var settings struct {
		GracePeriodSeconds *int64 `json:"gracePeriodSeconds"`
	}
	if err := c.do(ctx, "GET", c.OrderingURL+"/api/orders/settings", nil, nil, &settings, 200); err != nil {
		return 0, fmt.Errorf("read ordering's grace period: %w", err)
	}
	if settings.GracePeriodSeconds == nil || *settings.GracePeriodSeconds < 0 {
		return 0, errors.New("read ordering's grace period: no gracePeriodSeconds in GET /api/orders/settings")
	}
	return time.Duration(*settings.GracePeriodSeconds) * time.Second, nil
}

// Ship ships a paid order (as an admin).
func (c *Client) Ship(ctx context.Context, number int64) error {
	return c.do(ctx, "PUT", fmt.Sprintf("%s/api/orders/%d/ship", c.OrderingURL, number), nil, nil, nil, 200)
}

// Ready reports whether every service answers /readyz with 200.
func (c *Client) Ready(ctx context.Context) error {
	for _, base := range []string{c.CatalogURL, c.BasketURL, c.OrderingURL, c.PaymentURL} {
		if err := c.do(ctx, "GET", base+"/readyz", nil, nil, nil, 200); err != nil {
			return err
		}
	}
	return nil
}
