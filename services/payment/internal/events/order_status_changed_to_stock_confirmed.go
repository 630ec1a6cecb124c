package events

import (
	"context"
	"fmt"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

// OrderStatusChangedToStockConfirmedIntegrationEvent is ordering's request
// to charge an order whose stock catalog reserved.
type OrderStatusChangedToStockConfirmedIntegrationEvent struct {
	eventbus.IntegrationEvent
	OrderID           int64  `json:"OrderId"`
	OrderStatus       string `json:"OrderStatus"`
	BuyerName         string `json:"BuyerName"`
	BuyerIdentityGUID string `json:"BuyerIdentityGuid"`
}

// EventName is the routing key.
func (OrderStatusChangedToStockConfirmedIntegrationEvent) EventName() string {
	return "OrderStatusChangedToStockConfirmedIntegrationEvent"
}

// Charge answers ordering's request to charge an order. Payment has no
// database, so no outbox: it publishes the answer, waits for the broker's
// confirm, and only then returns nil, which acknowledges the request. A
// crash in between redelivers the request and publishes the answer again,
// with the same id (payment.AnswerID), and ordering's inbox drops the
// duplicate: at least once on the wire, exactly one effect.
func (h *Handlers) Charge(ctx context.Context, e OrderStatusChangedToStockConfirmedIntegrationEvent) error {
	var answer eventbus.Event
	if h.Succeed {
		answer = OrderPaymentSucceededIntegrationEvent{IntegrationEvent: answerEnvelope(e, OrderPaymentSucceededIntegrationEvent{}), OrderID: e.OrderID}
	} else {
		answer = OrderPaymentFailedIntegrationEvent{IntegrationEvent: answerEnvelope(e, OrderPaymentFailedIntegrationEvent{}), OrderID: e.OrderID}
	}
	if err := eventbus.Publish(ctx, h.Publisher, answer); err != nil {
		// Not acknowledged: the request is retried, and redelivered if the
		// process goes away.
		return fmt.Errorf("answer order %d (request %s): %w", e.OrderID, e.ID, err)
	}
	h.Logger.InfoContext(ctx, "payment answered", "order", e.OrderID, "request_id", e.ID,
		"answer", answer.EventName(), "answer_id", answer.EventID())
	return nil
}

// answerEnvelope gives an answer its deterministic id. The creation date is
// the request's (when it has one), so a repeated answer is the same message
// byte for byte.
func answerEnvelope(request OrderStatusChangedToStockConfirmedIntegrationEvent, answer eventbus.Event) eventbus.IntegrationEvent {
	created := request.CreationDate.UTC()
	if created.IsZero() {
		created = time.Now().UTC()
	}
	return eventbus.IntegrationEvent{ID: payment.AnswerID(request.ID, answer.EventName()), CreationDate: created}
}
