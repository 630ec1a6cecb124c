package events

import (
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/google/uuid"
)

// UserCheckoutAcceptedIntegrationEvent tells that a buyer checked out;
// ordering creates the order (one per RequestId). It carries the payment
// token and the card's last four digits, never the card number or the
// security code (docs/events.md, "Card data").
type UserCheckoutAcceptedIntegrationEvent struct {
	eventbus.IntegrationEvent
	UserID         string         `json:"UserId"`
	UserName       string         `json:"UserName"`
	City           string         `json:"City"`
	Street         string         `json:"Street"`
	State          string         `json:"State"`
	Country        string         `json:"Country"`
	ZipCode        string         `json:"ZipCode"`
	PaymentToken   string         `json:"PaymentToken"`
	CardLast4      string         `json:"CardLast4"`
	CardHolderName string         `json:"CardHolderName"`
	CardExpiration time.Time      `json:"CardExpiration"`
	CardTypeID     int            `json:"CardTypeId"`
	Buyer          string         `json:"Buyer"`
	RequestID      uuid.UUID      `json:"RequestId"`
	Basket         CustomerBasket `json:"Basket"`
}

// CustomerBasket is the basket as the event carries it.
type CustomerBasket struct {
	BuyerID string       `json:"BuyerId"`
	Items   []BasketItem `json:"Items"`
}

// BasketItem is a basket line as the event carries it.
type BasketItem struct {
	ID           string      `json:"Id"`
	ProductID    int64       `json:"ProductId"`
	ProductName  string      `json:"ProductName"`
	UnitPrice    money.Money `json:"UnitPrice"`
	OldUnitPrice money.Money `json:"OldUnitPrice"`
	Quantity     int         `json:"Quantity"`
	PictureURL   string      `json:"PictureUrl"`
}

// EventName is the routing key.
func (UserCheckoutAcceptedIntegrationEvent) EventName() string {
	return "UserCheckoutAcceptedIntegrationEvent"
}

// CheckoutAcceptedEvent returns the event that hands checkout c of basket b
// to ordering, with a fresh id. UserId and Basket.BuyerId are the buyer id;
// UserName is the buyer's name as given at checkout. The store puts it in
// the outbox with the checkout.
func CheckoutAcceptedEvent(c basket.Checkout, b basket.Basket) eventbus.Event {
	items := make([]BasketItem, len(b.Items))
	for i, it := range b.Items {
		old := money.Zero // eShop's "never changed", a number rather than null
		if it.OldUnitPrice != nil {
			old = *it.OldUnitPrice
		}
		items[i] = BasketItem{
			ID: it.ID, ProductID: it.ProductID, ProductName: it.ProductName,
			UnitPrice: it.UnitPrice, OldUnitPrice: old, Quantity: it.Quantity, PictureURL: it.PictureURL,
		}
	}
	return UserCheckoutAcceptedIntegrationEvent{
		IntegrationEvent: eventbus.NewIntegrationEvent(),
		UserID:           c.BuyerID,
		UserName:         c.Buyer,
		City:             c.City,
		Street:           c.Street,
		State:            c.State,
		Country:          c.Country,
		ZipCode:          c.ZipCode,
		PaymentToken:     c.PaymentToken,
		CardLast4:        c.CardLast4,
		CardHolderName:   c.CardHolderName,
		CardExpiration:   c.CardExpiration.UTC(),
		CardTypeID:       c.CardTypeID,
		Buyer:            c.BuyerID,
		RequestID:        c.RequestID,
		Basket:           CustomerBasket{BuyerID: b.BuyerID, Items: items},
	}
}
