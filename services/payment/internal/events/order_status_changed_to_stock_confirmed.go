package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

// OrderStatusChangedToStockConfirmedIntegrationEvent is ordering's request
// to charge an order whose stock catalog reserved: the order's Total, to
// the card sealed in PaymentToken. The token is never logged.
type OrderStatusChangedToStockConfirmedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID           int64       `json:"OrderId"`
	OrderStatus       string      `json:"OrderStatus"`
	BuyerName         string      `json:"BuyerName"`
	BuyerIdentityGUID string      `json:"BuyerIdentityGuid"`
	PaymentToken      string      `json:"PaymentToken"`
	Total             money.Money `json:"Total"`
}

// EventName is the routing key.
func (OrderStatusChangedToStockConfirmedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToStockConfirmedIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStatusChangedToStockConfirmedIntegrationEvent) Publisher() string { return "ordering" }

// Validate reports a request no ordering would send, wrapping
// eventbus.ErrInvalidEvent: it is parked at once and charges nothing.
func (e OrderStatusChangedToStockConfirmedIntegrationEvent) Validate() error {
	switch {
	case e.OrderID <= 0:
		return fmt.Errorf("%w: order id %d is not positive", eventbus.ErrInvalidEvent, e.OrderID)
	case !e.Total.IsPositive() || !e.Total.HasCents():
		return fmt.Errorf("%w: order %d: total %s is not a positive amount with at most 2 decimals", eventbus.ErrInvalidEvent, e.OrderID, e.Total.Decimal())
	case e.PaymentToken == "":
		return fmt.Errorf("%w: order %d has no payment token", eventbus.ErrInvalidEvent, e.OrderID)
	}
	return nil
}

// Charge answers ordering's request to charge an order: it opens the
// token and charges the card for the total. A token that has expired or
// cannot be opened, that was made for another buyer or that already paid
// another order fails the payment (the log says why, never the token);
// PAYMENT_SUCCEEDED=false fails every payment.
//
// Payment has no database, so no outbox: it publishes the answer, waits
// for the broker's confirm, and only then returns nil, which acknowledges
// the request. A crash in between redelivers the request and publishes the
// answer again, with the same id (payment.AnswerID), and ordering's inbox
// drops the duplicate: at least once on the wire, exactly one effect.
func (h *Handlers) Charge(ctx context.Context, e OrderStatusChangedToStockConfirmedIntegrationEvent) error {
	if err := e.Validate(); err != nil {
		return err
	}
	var answer eventbus.Event
	if reason := h.decline(e); reason != nil {
		h.Logger.WarnContext(ctx, "payment declined", "order", e.OrderID, "request_id", e.ID, "reason", reason.Error())
		answer = OrderPaymentFailedIntegrationEvent{IntegrationEvent: answerEnvelope(e, OrderPaymentFailedIntegrationEvent{}), OrderID: e.OrderID}
	} else {
		answer = OrderPaymentSucceededIntegrationEvent{IntegrationEvent: answerEnvelope(e, OrderPaymentSucceededIntegrationEvent{}), OrderID: e.OrderID}
	}
	if err := eventbus.Publish(ctx, h.Publisher, answer); err != nil {
		// Not acknowledged: the request is retried, and redelivered if the
		// process goes away.
		return fmt.Errorf("answer order %d (request %s): %w", e.OrderID, e.ID, err)
	}
	h.Logger.InfoContext(ctx, "payment answered", "order", e.OrderID, "total", e.Total.String(), "request_id", e.ID,
		"answer", answer.EventName(), "answer_id", answer.EventID())
	return nil
}

// errPaymentsFail is the reason of every decline under PAYMENT_SUCCEEDED=false.
var errPaymentsFail = errors.New("PAYMENT_SUCCEEDED=false fails every payment")

// errOtherBuyer is the reason of a token used for another buyer's order.
var errOtherBuyer = errors.New("the payment token was made for another buyer")

// decline returns why the order cannot be charged, or nil. The card is
// charged when its token opens now (whatever the request's date says: a
// request that waited, or one replayed, cannot revive an expired token),
// it was made for the order's buyer, it has paid no other order, and the
// card has not expired.
func (h *Handlers) decline(e OrderStatusChangedToStockConfirmedIntegrationEvent) error {
	now := time.Now()
	token, err := h.Tokens.Open(e.PaymentToken, now)
	if err != nil {
		return err
	}
	if token.Buyer != e.BuyerIdentityGUID {
		return errOtherBuyer
	}
	if err := h.Spent.Spend(token, e.OrderID, now); err != nil {
		return err
	}
	switch {
	case !token.Card.Expiration.After(now):
		return errors.New("the card has expired")
	case !h.Succeed:
		return errPaymentsFail
	}
	return nil
}

// answerEnvelope gives an answer its deterministic id. The creation date is
// the request's (when it has one), so a repeated answer is the same message
// byte for byte.
func answerEnvelope(request OrderStatusChangedToStockConfirmedIntegrationEvent, answer eventbus.Event) eventbus.IntegrationEvent {
	return eventbus.IntegrationEvent{ID: payment.AnswerID(request.ID, answer.EventName()), CreationDate: requestTime(request)}
}

// requestTime is when ordering asked: the request's creation date, or now
// for a request without one.
func requestTime(request OrderStatusChangedToStockConfirmedIntegrationEvent) time.Time {
	created := request.CreationDate.UTC()
	if created.IsZero() {
		created = time.Now().UTC()
	}
	return created
}
