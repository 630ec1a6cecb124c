package events

import "github.com/eshop-go/eshop-go/services/ordering/internal/ordering"

// OrderStockRejectedIntegrationEvent is catalog's answer when some product
// of the order lacks stock, or is not at the order's unit price (and
// nothing was reserved).
type OrderStockRejectedIntegrationEvent struct {
	OrderAnswer
	OrderStockItems []ConfirmedOrderStockItem `json:"OrderStockItems"`
}

// ConfirmedOrderStockItem tells whether catalog has the stock of a
// product, and whether the order has it at its current price (nil from a
// catalog that does not say).
type ConfirmedOrderStockItem struct {
	ProductID    int64 `json:"ProductId"`
	HasStock     bool  `json:"HasStock"`
	PriceMatches *bool `json:"PriceMatches"`
}

// EventName names the event on the wire.
func (OrderStockRejectedIntegrationEvent) EventName() string {
	return "OrderStockRejectedIntegrationEvent"
}

// Publisher is the service that publishes it.
func (OrderStockRejectedIntegrationEvent) Publisher() string { return "catalog" }

// command cancels the order, naming the products without stock and those
// not at the order's price.
func (e OrderStockRejectedIntegrationEvent) command(o *ordering.Order) error {
	var withoutStock, notAtPrice []int64
	for _, it := range e.OrderStockItems {
		if !it.HasStock {
			withoutStock = append(withoutStock, it.ProductID)
		}
		if it.PriceMatches != nil && !*it.PriceMatches {
			notAtPrice = append(notAtPrice, it.ProductID)
		}
	}
	return o.RejectStock(withoutStock, notAtPrice)
}
