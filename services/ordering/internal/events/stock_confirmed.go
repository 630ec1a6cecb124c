package events

import "github.com/eshop-go/eshop-go/services/ordering/internal/ordering"

// OrderStockConfirmedIntegrationEvent is catalog's answer when it reserved
// the stock of every line of the order: ordering moves the order to
// StockConfirmed, which asks payment to charge it.
type OrderStockConfirmedIntegrationEvent struct{ OrderAnswer }

// EventName names the event on the wire.
func (OrderStockConfirmedIntegrationEvent) EventName() string {
	return "OrderStockConfirmedIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStockConfirmedIntegrationEvent) Publisher() string { return "catalog" }

func (OrderStockConfirmedIntegrationEvent) command(o *ordering.Order) error { return o.ConfirmStock() }
