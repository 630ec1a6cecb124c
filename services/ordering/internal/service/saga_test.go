package service_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// The order's events, as the test observes them on its own queue.
var orderingEvents = []string{
	"OrderStartedIntegrationEvent",
	"OrderStatusChangedToSubmittedIntegrationEvent",
	"OrderStatusChangedToAwaitingValidationIntegrationEvent",
	"OrderStatusChangedToStockConfirmedIntegrationEvent",
	"OrderStatusChangedToPaidIntegrationEvent",
	"OrderStatusChangedToShippedIntegrationEvent",
	"OrderStatusChangedToCancelledIntegrationEvent",
}

// paymentToken stands for the token payment's POST /cards answered:
// ordering only keeps it and hands it to payment.
const paymentToken = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVydGV4dA.dGFn"

// tokenInLogs returns the first log line that shows the payment token, or "".
func tokenInLogs(logs string) string {
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, paymentToken) {
			return line
		}
	}
	return ""
}

// checkout is basket's UserCheckoutAcceptedIntegrationEvent payload.
func checkout(buyer string, requestID uuid.UUID) map[string]any {
	return map[string]any{
		"UserId": buyer, "UserName": "Alice " + buyer,
		"City": "Redmond", "Street": "15703 NE 61st Ct", "State": "WA", "Country": "U.S.", "ZipCode": "98052",
		"PaymentToken": paymentToken, "CardLast4": "1881", "CardHolderName": "Alice", "CardExpiration": "2030-12-31T00:00:00Z",
		"CardTypeId": 2, "Buyer": "Alice", "RequestId": requestID.String(),
		"Basket": map[string]any{"BuyerId": buyer, "Items": []map[string]any{
			{"Id": "a1", "ProductId": 1, "ProductName": ".NET Bot Black Hoodie", "UnitPrice": 19.5, "OldUnitPrice": 0, "Quantity": 2, "PictureUrl": "1.png"},
			{"Id": "a2", "ProductId": 2, "ProductName": ".NET Black & White Mug", "UnitPrice": 8.5, "Quantity": 1, "PictureUrl": "2.png"},
		}},
	}
}

// sagaFixture is the service, its logs (debug and up, to check what never
// reaches them) and the wire the test plays basket, catalog and payment on.
type sagaFixture struct {
	*orderingUnderTest
	wire *wire
	logs *testkit.LogBuffer
}

func newSaga(t *testing.T) *sagaFixture {
	logs := &testkit.LogBuffer{}
	s := startOrdering(t, map[string]string{"GRACE_PERIOD": "300ms", "LOG_LEVEL": "debug"}, logs)
	w := newWire(t, s.Exchange, s.Prefix, orderingEvents...)
	return &sagaFixture{orderingUnderTest: s, wire: w, logs: logs}
}

// submit checks out for buyer and returns the order number of its
// Submitted event.
func (f *sagaFixture) submit(buyer string) float64 {
	f.t.Helper()
	f.wire.publish("UserCheckoutAcceptedIntegrationEvent", "basket", uuid.New(), checkout(buyer, uuid.New()))
	return f.submitted(buyer)
}

// stockConfirmed checks out for buyer, answers the stock request as
// catalog would, and returns the order number once the order is
// StockConfirmed (waiting for payment).
func (f *sagaFixture) stockConfirmed(buyer string) float64 {
	f.t.Helper()
	order := f.submit(buyer)
	f.wire.await("OrderStatusChangedToAwaitingValidationIntegrationEvent", order)
	f.wire.publish("OrderStockConfirmedIntegrationEvent", "catalog", uuid.New(), map[string]any{"OrderId": order})
	f.wire.await("OrderStatusChangedToStockConfirmedIntegrationEvent", order)
	return order
}

// submitted waits for the Submitted event of buyer's order and returns the
// order number.
func (f *sagaFixture) submitted(buyer string) float64 {
	f.t.Helper()
	var order float64
	testkit.WaitFor(f.t, "the Submitted event of "+buyer, func() bool {
		for _, m := range f.wire.all("OrderStatusChangedToSubmittedIntegrationEvent") {
			if m.body["BuyerIdentityGuid"] == buyer {
				order, _ = m.body["OrderId"].(float64)
				return true
			}
		}
		return false
	})
	return order
}

func checkStockItems(t *testing.T, body map[string]any) {
	t.Helper()
	items, _ := body["OrderStockItems"].([]any)
	if len(items) != 2 {
		t.Fatalf("OrderStockItems = %v", body["OrderStockItems"])
	}
	first, _ := items[0].(map[string]any)
	second, _ := items[1].(map[string]any)
	if first["ProductId"] != 1.0 || first["Units"] != 2.0 || second["ProductId"] != 2.0 || second["Units"] != 1.0 {
		t.Fatalf("OrderStockItems = %v", items)
	}
}

// The whole saga over the wire: basket's checkout (delivered twice, and
// repeated under a new event id), the grace period, catalog's stock
// confirmation and payment's success reach Paid; shipping over HTTP reaches
// Shipped. Each step's event is observed on the test's own queue.
func TestSagaReachesPaidThenShipped(t *testing.T) {
	f := newSaga(t)
	buyer := "buyer-" + uuid.NewString()
	request := uuid.New()
	eventID := uuid.New()
	f.wire.publish("UserCheckoutAcceptedIntegrationEvent", "basket", eventID, checkout(buyer, request))
	f.wire.publish("UserCheckoutAcceptedIntegrationEvent", "basket", eventID, checkout(buyer, request))    // redelivered
	f.wire.publish("UserCheckoutAcceptedIntegrationEvent", "basket", uuid.New(), checkout(buyer, request)) // repeated checkout

	order := f.submitted(buyer)
	submitted := f.wire.await("OrderStatusChangedToSubmittedIntegrationEvent", order)
	if submitted["OrderStatus"] != "Submitted" || submitted["BuyerName"] != "Alice "+buyer {
		t.Fatalf("Submitted event = %v", submitted)
	}
	testkit.WaitFor(t, "OrderStarted", func() bool {
		for _, m := range f.wire.all("OrderStartedIntegrationEvent") {
			if m.body["UserId"] == buyer {
				if m.delivery.AppId != "ordering" || m.delivery.MessageId != m.body["Id"] || m.delivery.ContentType != "application/json" {
					t.Fatalf("OrderStarted properties: app_id %q message_id %q content_type %q", m.delivery.AppId, m.delivery.MessageId, m.delivery.ContentType)
				}
				return true
			}
		}
		return false
	})

	// The grace period passes on its own.
	awaiting := f.wire.await("OrderStatusChangedToAwaitingValidationIntegrationEvent", order)
	if awaiting["OrderStatus"] != "AwaitingValidation" || awaiting["BuyerIdentityGuid"] != buyer {
		t.Fatalf("AwaitingValidation event = %v", awaiting)
	}
	checkStockItems(t, awaiting)
	// Every status event names the order by its uuid too, the one the
	// order keeps: unique across ordering's databases, where the number
	// is not.
	guid, _ := awaiting["OrderGuid"].(string)
	if n := f.count(`SELECT count(*) FROM orders WHERE order_number = $1 AND order_guid::text = $2`, order, guid); n != 1 || submitted["OrderGuid"] != guid {
		t.Fatalf("OrderGuid %q (Submitted: %v) is not the order's", guid, submitted["OrderGuid"])
	}

	// An answer about another order of the same number (of an ordering
	// database since recreated) changes nothing.
	other := f.wire.publish("OrderStockConfirmedIntegrationEvent", "catalog", uuid.New(), map[string]any{"OrderId": order, "OrderGuid": uuid.New()})
	testkit.WaitFor(t, "the other order's answer to be handled", func() bool {
		return f.count(`SELECT count(*) FROM integration_event_inbox WHERE event_id = $1`, other) == 1
	})
	if got := f.order(order).Status; got != "AwaitingValidation" {
		t.Fatalf("status = %s after an answer about another order 1, want AwaitingValidation", got)
	}

	// Catalog reserved the stock.
	f.wire.publish("OrderStockConfirmedIntegrationEvent", "catalog", uuid.New(), map[string]any{"OrderId": order, "OrderGuid": guid})
	confirmed := f.wire.await("OrderStatusChangedToStockConfirmedIntegrationEvent", order)
	// Payment is asked to charge the order's total to the checkout's token.
	if confirmed["PaymentToken"] != paymentToken || confirmed["Total"] != 47.5 {
		t.Fatalf("StockConfirmed event = %v, want the token and the total 47.50", confirmed)
	}

	// Payment charged it (and its answer arrives twice, with one id).
	paymentID := uuid.New()
	f.wire.publish("OrderPaymentSucceededIntegrationEvent", "payment", paymentID, map[string]any{"OrderId": order})
	f.wire.publish("OrderPaymentSucceededIntegrationEvent", "payment", paymentID, map[string]any{"OrderId": order})
	paid := f.wire.await("OrderStatusChangedToPaidIntegrationEvent", order)
	checkStockItems(t, paid)
	if got := f.order(order).Status; got != "Paid" {
		t.Fatalf("status = %s, want Paid", got)
	}
	f.checkTokenDropped(order)

	// A late stock confirmation is a logged no-op; cancel is refused.
	late := f.wire.publish("OrderStockConfirmedIntegrationEvent", "catalog", uuid.New(), map[string]any{"OrderId": order})
	testkit.WaitFor(t, "the late event to be handled", func() bool {
		return f.count(`SELECT count(*) FROM integration_event_inbox WHERE event_id = $1`, late) == 1
	})
	f.command(order, "cancel", http.StatusConflict)

	f.command(order, "ship", http.StatusOK)
	shipped := f.wire.await("OrderStatusChangedToShippedIntegrationEvent", order)
	if shipped["OrderStatus"] != "Shipped" {
		t.Fatalf("Shipped event = %v", shipped)
	}

	// One order for the three checkout deliveries, each status announced once.
	testkit.WaitFor(t, "both checkout event ids to be handled", func() bool {
		return f.count(`SELECT count(*) FROM integration_event_inbox WHERE handler = 'ordering.create_order'`) == 2
	})
	if n := f.count(`SELECT count(*) FROM orders WHERE request_id = $1`, request); n != 1 {
		t.Fatalf("%d orders for one checkout request, want 1", n)
	}
	list := f.orders(buyer)
	if len(list) != 1 || list[0].Status != "Shipped" || total(list[0]) != 47.5 {
		t.Fatalf("the buyer's orders = %v", list)
	}
	for _, name := range orderingEvents[1:6] {
		if n := f.count(`SELECT count(*) FROM integration_event_log WHERE event_name = $1`, name); n != 1 {
			t.Fatalf("%d %s stored, want 1", n, name)
		}
	}

	// The order keeps the last four digits, not the token (it paid); the
	// token is not logged.
	if n := f.count(`SELECT count(*) FROM orders WHERE payment_token = '' AND card_last4 = '1881'`); n != 1 {
		t.Fatal("the order does not keep the last four digits, or keeps the token")
	}
	if line := tokenInLogs(f.logs.String()); line != "" {
		t.Fatalf("the payment token reached the logs: %s", line)
	}
}

// checkTokenDropped fails the test when order still keeps its payment
// token: once Paid or Cancelled the order has no use for it, and a token
// kept is a token that can leak.
func (f *sagaFixture) checkTokenDropped(order float64) {
	f.t.Helper()
	if n := f.count(`SELECT count(*) FROM orders WHERE order_number = $1 AND payment_token <> ''`, order); n != 0 {
		f.t.Fatalf("order %v is %s and still keeps its payment token", order, f.order(order).Status)
	}
}

// Catalog lacks stock: the order ends Cancelled, says which product, and
// OrderStatusChangedToCancelled tells catalog to release what it holds.
func TestSagaStockRejectedCancels(t *testing.T) {
	f := newSaga(t)
	order := f.submit("buyer-" + uuid.NewString())
	f.wire.await("OrderStatusChangedToAwaitingValidationIntegrationEvent", order)

	f.wire.publish("OrderStockRejectedIntegrationEvent", "catalog", uuid.New(), map[string]any{
		"OrderId": order, "OrderStockItems": []map[string]any{{"ProductId": 1, "HasStock": false}, {"ProductId": 2, "HasStock": true}},
	})
	cancelled := f.wire.await("OrderStatusChangedToCancelledIntegrationEvent", order)
	if cancelled["OrderStatus"] != "Cancelled" {
		t.Fatalf("Cancelled event = %v", cancelled)
	}
	o := f.order(order)
	if o.Status != "Cancelled" || !strings.Contains(o.Description, ".NET Bot Black Hoodie") || strings.Contains(o.Description, "Mug") {
		t.Fatalf("order = %+v, want Cancelled naming the hoodie only", o)
	}
	f.checkTokenDropped(order)
	// A late payment answer for the cancelled order changes nothing.
	late := f.wire.publish("OrderPaymentSucceededIntegrationEvent", "payment", uuid.New(), map[string]any{"OrderId": order})
	testkit.WaitFor(t, "the late payment to be handled", func() bool {
		return f.count(`SELECT count(*) FROM integration_event_inbox WHERE event_id = $1`, late) == 1
	})
	if got := f.order(order).Status; got != "Cancelled" {
		t.Fatalf("status = %s after a late payment, want Cancelled", got)
	}
}

// Payment fails: the order ends Cancelled with OrderStatusChangedToCancelled.
func TestSagaPaymentFailedCancels(t *testing.T) {
	f := newSaga(t)
	order := f.stockConfirmed("buyer-" + uuid.NewString())

	f.wire.publish("OrderPaymentFailedIntegrationEvent", "payment", uuid.New(), map[string]any{"OrderId": order})
	f.wire.await("OrderStatusChangedToCancelledIntegrationEvent", order)
	o := f.order(order)
	if o.Status != "Cancelled" || !strings.Contains(o.Description, "payment") {
		t.Fatalf("order = %+v, want Cancelled for its payment", o)
	}
	f.checkTokenDropped(order)
	f.command(order, "ship", http.StatusConflict)
}

// A checkout that cannot become an order makes none: it is parked in
// ordering's dead-letter queue at once (one attempt), with its reason on
// the parked message, and the events behind it flow on.
func TestInvalidCheckoutIsParked(t *testing.T) {
	f := newSaga(t)
	cases := []struct {
		name, reason string
		edit         func(map[string]any)
	}{
		{"no items", "no items", func(c map[string]any) { c["Basket"] = map[string]any{"BuyerId": "b", "Items": []any{}} }},
		{"an unknown card type", "card type 99", func(c map[string]any) { c["CardTypeId"] = 99 }},
		{"no address", "street", func(c map[string]any) {
			for _, field := range []string{"City", "Street", "State", "Country", "ZipCode"} {
				delete(c, field)
			}
		}},
		{"no payment token", "payment token", func(c map[string]any) { delete(c, "PaymentToken") }},
		{"no last four", "last four", func(c map[string]any) { delete(c, "CardLast4") }},
		{"an expired card", "expired", func(c map[string]any) { c["CardExpiration"] = "2020-01-01T00:00:00Z" }},
		{"no request id", "request id", func(c map[string]any) { delete(c, "RequestId") }},
		{"a product id over 32 bits", "product id", func(c map[string]any) {
			c["Basket"].(map[string]any)["Items"].([]map[string]any)[0]["ProductId"] = 2147483648
		}},
		{"a price of 0", "unit price", func(c map[string]any) { c["Basket"].(map[string]any)["Items"].([]map[string]any)[0]["UnitPrice"] = 0 }},
		{"negative units", "units", func(c map[string]any) { c["Basket"].(map[string]any)["Items"].([]map[string]any)[0]["Quantity"] = -5 }},
	}
	ids := map[string]string{} // event id → the reason its parked copy must give
	for i, tc := range cases {
		c := checkout(fmt.Sprintf("buyer-invalid-%d", i), uuid.New())
		tc.edit(c)
		ids[f.wire.publish("UserCheckoutAcceptedIntegrationEvent", "basket", uuid.New(), c).String()] = tc.reason
	}
	order := f.submit("buyer-valid")

	testkit.WaitFor(t, "every invalid checkout in the dead-letter queue", func() bool {
		return testkit.QueueLength(t, f.Queue+".dlq") == len(cases)
	})
	for _, parked := range testkit.PeekMessages(t, f.Queue+".dlq") {
		reason, ok := ids[parked.MessageId]
		if !ok {
			t.Fatalf("parked an unexpected message %s", parked.MessageId)
		}
		lastError, _ := parked.Headers["x-last-error"].(string)
		if parked.Headers["x-parked-reason"] != "invalid" || !strings.Contains(lastError, reason) || fmt.Sprint(parked.Headers["x-attempt"]) != "1" {
			t.Errorf("checkout %s parked with %v, want reason invalid after one attempt, naming %q", parked.MessageId, parked.Headers, reason)
		}
	}
	if n := f.count(`SELECT count(*) FROM orders`); n != 1 {
		t.Fatalf("%d orders, want only the valid checkout's", n)
	}
	if n := f.count(`SELECT count(*) FROM buyers WHERE id LIKE 'buyer-invalid-%'`); n != 0 {
		t.Fatalf("the invalid checkouts saved %d buyers", n)
	}
	if status := f.order(order).Status; status != "Submitted" && status != "AwaitingValidation" {
		t.Fatalf("the valid order is %s", status)
	}
}

// total is a summary's total as a number.
func total(o orderSummary) float64 {
	f, err := o.Total.Float64()
	if err != nil {
		return -1
	}
	return f
}
