package events

import (
	"context"

	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/jackc/pgx/v5"
)

// OrderPaymentFailedIntegrationEvent is payment's answer when the order
// could not be charged.
type OrderPaymentFailedIntegrationEvent struct{ OrderAnswer }

// EventName names the event on the wire.
func (OrderPaymentFailedIntegrationEvent) EventName() string {
	return "OrderPaymentFailedIntegrationEvent"
}

// FailPayment cancels the order, which tells catalog to release its stock.
func (h *Handlers) FailPayment(ctx context.Context, tx pgx.Tx, e OrderPaymentFailedIntegrationEvent) error {
	return h.change(ctx, tx, e, e.OrderID, (*ordering.Order).FailPayment)
}
