package events

import "github.com/eshop-go/eshop-go/services/ordering/internal/ordering"

// OrderPaymentSucceededIntegrationEvent is payment's answer when the order
// was charged: ordering moves the order to Paid, which tells catalog to
// make the stock reservation final.
type OrderPaymentSucceededIntegrationEvent struct{ OrderAnswer }

// EventName names the event on the wire.
func (OrderPaymentSucceededIntegrationEvent) EventName() string {
	return "OrderPaymentSucceededIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderPaymentSucceededIntegrationEvent) Publisher() string { return "payment" }

func (OrderPaymentSucceededIntegrationEvent) command(o *ordering.Order) error {
	return o.ConfirmPayment()
}
