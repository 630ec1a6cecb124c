package events

import "github.com/eshop-go/eshop-go/services/ordering/internal/ordering"

// OrderPaymentFailedIntegrationEvent is payment's answer when the order
// could not be charged: ordering cancels the order, which tells catalog to
// release its stock.
type OrderPaymentFailedIntegrationEvent struct{ OrderAnswer }

// EventName names the event on the wire.
func (OrderPaymentFailedIntegrationEvent) EventName() string {
	return "OrderPaymentFailedIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderPaymentFailedIntegrationEvent) Publisher() string { return "payment" }

func (OrderPaymentFailedIntegrationEvent) command(o *ordering.Order) error { return o.FailPayment() }
