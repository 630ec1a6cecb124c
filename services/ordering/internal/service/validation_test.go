package service_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// The row: an order cancelled while its payment was in flight
// ended Cancelled, and the PaymentSucceeded that came next was ignored:
// money taken for a cancelled order. Cancel is refused from
// StockConfirmed (docs/events.md flow 6); the payment's answer decides.
func TestCancelIsRefusedWhilePaymentIsInFlight(t *testing.T) {
	f := newSaga(t)
	order := f.stockConfirmed("buyer-" + uuid.NewString())

	f.command(order, "cancel", http.StatusConflict)
	f.wire.publish("OrderPaymentSucceededIntegrationEvent", "payment", uuid.New(), map[string]any{"OrderId": order})
	f.wire.await("OrderStatusChangedToPaidIntegrationEvent", order)
	if got := f.order(order).Status; got != "Paid" {
		t.Fatalf("status = %s, want Paid", got)
	}
	if n := len(f.wire.all("OrderStatusChangedToCancelledIntegrationEvent")); n != 0 {
		t.Fatalf("%d Cancelled events for an order that was paid", n)
	}
}

// The row: a basket line for a 449.00 product at 0.00 made an
// order Paid at 0.00 (a price of 0 is now refused at checkout; any price
// the catalog does not charge is the same story). The order's
// AwaitingValidation carries each line's unit price; catalog answers that
// the price does not match (catalog's own tests), and the order ends
// Cancelled, saying why.
func TestOrderNotAtTheCatalogPriceEndsCancelled(t *testing.T) {
	f := newSaga(t)
	buyer := "buyer-" + uuid.NewString()
	c := checkout(buyer, uuid.New())
	c["Basket"] = map[string]any{"BuyerId": buyer, "Items": []map[string]any{
		{"Id": "a1", "ProductId": 6, "ProductName": "Fjord Tunnel 4", "UnitPrice": 1.00, "Quantity": 1, "PictureUrl": "6.webp"},
	}}
	f.wire.publish("UserCheckoutAcceptedIntegrationEvent", "basket", uuid.New(), c)
	order := f.submitted(buyer)
	awaiting := f.wire.await("OrderStatusChangedToAwaitingValidationIntegrationEvent", order)
	items, _ := awaiting["OrderStockItems"].([]any)
	if line, _ := items[0].(map[string]any); len(items) != 1 || line["ProductId"] != 6.0 || line["UnitPrice"] != 1.0 {
		t.Fatalf("OrderStockItems = %v, want product 6 at 1.00", awaiting["OrderStockItems"])
	}

	f.wire.publish("OrderStockRejectedIntegrationEvent", "catalog", uuid.New(), map[string]any{
		"OrderId": order, "OrderStockItems": []map[string]any{{"ProductId": 6, "HasStock": true, "PriceMatches": false}},
	})
	f.wire.await("OrderStatusChangedToCancelledIntegrationEvent", order)
	o := f.order(order)
	if o.Status != "Cancelled" || !strings.Contains(o.Description, "no longer at the price ordered: Fjord Tunnel 4") {
		t.Fatalf("order = %+v, want Cancelled, naming the product not at its price", o)
	}
}

// Answers about an order number no order can have are parked at once,
// with their reason, and change nothing.
func TestAnswersWithoutAValidOrderIdAreParked(t *testing.T) {
	f := newSaga(t)
	order := f.submit("buyer-" + uuid.NewString())
	f.wire.await("OrderStatusChangedToAwaitingValidationIntegrationEvent", order)
	for _, e := range []struct{ name, from string }{
		{"OrderStockConfirmedIntegrationEvent", "catalog"},
		{"OrderStockRejectedIntegrationEvent", "catalog"},
		{"OrderPaymentSucceededIntegrationEvent", "payment"},
		{"OrderPaymentFailedIntegrationEvent", "payment"},
	} {
		f.wire.publish(e.name, e.from, uuid.New(), map[string]any{"OrderId": 0})
		f.wire.publish(e.name, e.from, uuid.New(), map[string]any{"OrderId": -order})
	}
	for _, p := range testkit.WaitParked(t, f.Queue, 8) {
		if p.Reason != rabbitmq.ReasonInvalid || p.Attempts != 1 || !strings.Contains(p.LastError, "is not above 0") {
			t.Errorf("%s parked as %q after %d attempt(s): %s; want invalid at once", p.Name, p.Reason, p.Attempts, p.LastError)
		}
	}
	if got := f.order(order).Status; got != "AwaitingValidation" {
		t.Fatalf("status = %s, want AwaitingValidation: an invalid answer had an effect", got)
	}
}
