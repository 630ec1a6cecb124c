package events

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// UserCheckoutAcceptedIntegrationEvent is basket's checkout: the basket,
// the address, and the card to pay with as payment tokenized it (the token
// and the last four digits; never the card number or the security code).
// The token is kept out of logs (see LogValue).
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

// CustomerBasket is the basket that was checked out.
type CustomerBasket struct {
	BuyerID string       `json:"BuyerId"`
	Items   []BasketItem `json:"Items"`
}

// BasketItem is one basket line. Ordering reads only what an order line
// needs (the line id and the old price are left out).
type BasketItem struct {
	ProductID   int64       `json:"ProductId"`
	ProductName string      `json:"ProductName"`
	UnitPrice   money.Money `json:"UnitPrice"`
	Quantity    int         `json:"Quantity"`
	PictureURL  string      `json:"PictureUrl"`
}

// EventName names the event on the wire.
func (UserCheckoutAcceptedIntegrationEvent) EventName() string {
	return "UserCheckoutAcceptedIntegrationEvent"
}

// Publisher is the service that publishes it.
func (UserCheckoutAcceptedIntegrationEvent) Publisher() string { return "basket" }

// LogValue keeps the payment token out of logs, whatever logs the event.
func (e UserCheckoutAcceptedIntegrationEvent) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", e.ID.String()),
		slog.String("request_id", e.RequestID.String()),
		slog.String("user_id", e.UserID),
		slog.Int("items", len(e.Basket.Items)),
	)
}

// Order checks the checkout and returns the order it makes, or an error
// wrapping eventbus.ErrInvalidEvent that says what is wrong: such a
// checkout can never become an order. It has no effect.
func (e UserCheckoutAcceptedIntegrationEvent) Order() (*ordering.Order, error) {
	buyer := ordering.Buyer{ID: e.UserID, Name: e.UserName}
	if buyer.ID == "" {
		buyer.ID = e.Basket.BuyerID
	}
	if buyer.Name == "" {
		buyer.Name = e.Buyer
	}
	items := make([]ordering.Item, len(e.Basket.Items))
	for i, it := range e.Basket.Items {
		items[i] = ordering.Item{
			ProductID:   it.ProductID,
			ProductName: it.ProductName,
			UnitPrice:   it.UnitPrice,
			Units:       it.Quantity,
			PictureURL:  it.PictureURL,
		}
	}
	address := ordering.Address{Street: e.Street, City: e.City, State: e.State, Country: e.Country, ZipCode: e.ZipCode}
	card := ordering.Card{PaymentToken: e.PaymentToken, TypeID: e.CardTypeID, Last4: e.CardLast4,
		HolderName: e.CardHolderName, Expiration: e.CardExpiration}
	checkedOutAt := e.CreationDate
	if checkedOutAt.IsZero() {
		checkedOutAt = time.Now()
	}
	o, err := ordering.NewOrder(e.RequestID, buyer, address, card, items, checkedOutAt)
	if err != nil {
		return nil, fmt.Errorf("%w: checkout %s (request %s): %w", eventbus.ErrInvalidEvent, e.ID, e.RequestID, err)
	}
	return o, nil
}

// CreateOrder makes the order of a checkout, Submitted, and stores
// OrderStarted and OrderStatusChangedToSubmitted with it. A checkout that
// cannot become an order (Order, or a card type the shop does not accept)
// is parked at once and changes nothing. A checkout whose request id made
// an order already (a redelivery under a new event id, a client that
// repeated its request) changes nothing.
func (h *Handlers) CreateOrder(ctx context.Context, tx pgx.Tx, e UserCheckoutAcceptedIntegrationEvent) error {
	o, err := e.Order()
	if err != nil {
		return err
	}
	known, err := h.Orders.CardTypeExists(ctx, tx, o.Card.TypeID)
	if err != nil {
		return fmt.Errorf("checkout %s (request %s): %w", e.ID, e.RequestID, err)
	}
	if !known {
		return fmt.Errorf("%w: checkout %s (request %s): card type %d is not one the shop accepts", eventbus.ErrInvalidEvent, e.ID, e.RequestID, o.Card.TypeID)
	}
	created, err := h.Orders.Create(ctx, tx, o)
	if err != nil {
		return fmt.Errorf("checkout %s (request %s): %w", e.ID, e.RequestID, err)
	}
	if !created {
		h.Logger.InfoContext(ctx, "checkout ignored: its request made an order already",
			"event_id", e.ID, "request_id", e.RequestID)
		return nil
	}
	if err := outbox.Add(ctx, tx, OrderStartedIntegrationEvent{
		IntegrationEvent: eventbus.NewIntegrationEvent(),
		UserID:           o.Buyer.ID,
	}); err != nil {
		return err
	}
	h.Logger.InfoContext(ctx, "order submitted", "order", o.Number, "request_id", e.RequestID, "buyer_id", o.Buyer.ID)
	return nil
}
