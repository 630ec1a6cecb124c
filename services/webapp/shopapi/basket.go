package shopapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

// Basket is a buyer's basket.
type Basket struct {
	BuyerID string       `json:"buyerId"`
	Items   []BasketItem `json:"items"`
}

// BasketItem is a line of a basket. OldUnitPrice is the price before the
// last catalog change the line followed, nil while it never changed.
type BasketItem struct {
	ProductID    int64        `json:"productId"`
	ProductName  string       `json:"productName"`
	UnitPrice    money.Money  `json:"unitPrice"`
	OldUnitPrice *money.Money `json:"oldUnitPrice,omitempty"`
	Quantity     int          `json:"quantity"`
	PictureURL   string       `json:"pictureUrl"`
}

// PriceChanged reports whether the line's price changed since it was put
// in the basket.
func (l BasketItem) PriceChanged() bool {
	return l.OldUnitPrice != nil && l.OldUnitPrice.IsPositive() && !l.OldUnitPrice.Equal(l.UnitPrice)
}

// Checkout is what a buyer checks out with: the address and the card as
// payment tokenized it (no card number, no security code).
type Checkout struct {
	City           string `json:"city"`
	Street         string `json:"street"`
	State          string `json:"state"`
	Country        string `json:"country"`
	ZipCode        string `json:"zipCode"`
	PaymentToken   string `json:"paymentToken"`
	CardLast4      string `json:"cardLast4"`
	CardHolderName string `json:"cardHolderName"`
	CardExpiration string `json:"cardExpiration"`
	CardTypeID     int    `json:"cardTypeId"`
	Buyer          string `json:"buyer"`
}

// BasketAPI is the basket API.
type BasketAPI struct{ api api }

// NewBasket returns the client of the basket service at baseURL.
func NewBasket(baseURL string) *BasketAPI { return &BasketAPI{newAPI("basket", baseURL)} }

func basketPath(buyerID string) string { return "/api/basket/" + url.PathEscape(buyerID) }

// Get returns the basket of the buyer whose token it is.
func (b *BasketAPI) Get(ctx context.Context, token, buyerID string) (Basket, error) {
	var out Basket
	_, err := b.api.do(ctx, call{method: http.MethodGet, path: basketPath(buyerID), token: token, out: &out})
	return out, err
}

// Update replaces the basket's lines and returns the basket.
func (b *BasketAPI) Update(ctx context.Context, token, buyerID string, items []BasketItem) (Basket, error) {
	type line struct {
		ProductID   int64       `json:"productId"`
		ProductName string      `json:"productName"`
		UnitPrice   money.Money `json:"unitPrice"`
		Quantity    int         `json:"quantity"`
		PictureURL  string      `json:"pictureUrl"`
	}
	lines := make([]line, 0, len(items))
	for _, it := range items {
		lines = append(lines, line{it.ProductID, it.ProductName, it.UnitPrice, it.Quantity, it.PictureURL})
	}
	var out Basket
	_, err := b.api.do(ctx, call{method: http.MethodPut, path: basketPath(buyerID), token: token,
		body: map[string]any{"items": lines}, out: &out})
	return out, err
}

// Checkout checks the basket out; requestID (a fresh UUID) makes a repeat
// of the same checkout harmless.
func (b *BasketAPI) Checkout(ctx context.Context, token, buyerID, requestID string, c Checkout) error {
	_, err := b.api.do(ctx, call{method: http.MethodPost, path: basketPath(buyerID) + "/checkout", token: token,
		body: c, header: http.Header{"X-Requestid": {requestID}}})
	return err
}
