package events

import (
	"context"

	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/jackc/pgx/v5"
)

// OrderPaymentSucceededIntegrationEvent is payment's answer when the order
// was charged.
type OrderPaymentSucceededIntegrationEvent struct{ OrderAnswer }

// EventName names the event on the wire.
func (OrderPaymentSucceededIntegrationEvent) EventName() string {
	return "OrderPaymentSucceededIntegrationEvent"
}

// ConfirmPayment moves the order to Paid, which tells catalog to make the
// stock reservation final.
func (h *Handlers) ConfirmPayment(ctx context.Context, tx pgx.Tx, e OrderPaymentSucceededIntegrationEvent) error {
	return h.change(ctx, tx, e, e.OrderID, (*ordering.Order).ConfirmPayment)
}
