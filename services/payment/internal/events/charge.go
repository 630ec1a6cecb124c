package events

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

// Charger answers ordering's requests to charge an order. Payment has no
// database, so no outbox: it publishes the answer, waits for the broker's
// confirm, and only then returns nil, which acknowledges the request. A
// crash in between redelivers the request and publishes the answer again,
// with the same id (payment.AnswerID), and ordering's inbox drops the
// duplicate: at least once on the wire, exactly one effect.
type Charger struct {
	Publisher eventbus.Publisher
	// Succeed is PAYMENT_SUCCEEDED: whether charges succeed.
	Succeed bool
	Logger  *slog.Logger
}

// Charge answers one request.
func (c *Charger) Charge(ctx context.Context, e OrderStatusChangedToStockConfirmedIntegrationEvent) error {
	var answer eventbus.Event
	if c.Succeed {
		answer = OrderPaymentSucceededIntegrationEvent{IntegrationEvent: answerEnvelope(e, OrderPaymentSucceededIntegrationEvent{}), OrderID: e.OrderID}
	} else {
		answer = OrderPaymentFailedIntegrationEvent{IntegrationEvent: answerEnvelope(e, OrderPaymentFailedIntegrationEvent{}), OrderID: e.OrderID}
	}
	if err := eventbus.Publish(ctx, c.Publisher, answer); err != nil {
		// Not acknowledged: the request is retried, and redelivered if the
		// process goes away.
		return fmt.Errorf("answer order %d (request %s): %w", e.OrderID, e.ID, err)
	}
	c.logger().InfoContext(ctx, "payment answered", "order", e.OrderID, "request_id", e.ID,
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

func (c *Charger) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}
