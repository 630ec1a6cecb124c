package service_test

import (
	"net/http"
	"regexp"
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

const (
	cardNumber   = "4012888888881881"
	securityCode = "9731"
)

// Random digits that the logs hold anyway: a line's time and the ids.
var (
	logTime = regexp.MustCompile(`"time":"[^"]*"`)
	uuids   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
)

// cardInLogs returns the first log line that shows the card number or the
// security code, or "". Four digits turn up by chance in a nanosecond time
// or a uuid, so the security code is looked for in the rest of the line.
func cardInLogs(logs string) string {
	for _, line := range strings.Split(logs, "\n") {
		rest := uuids.ReplaceAllString(logTime.ReplaceAllString(line, ""), "")
		if strings.Contains(line, cardNumber) || strings.Contains(rest, securityCode) {
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
		"CardNumber": cardNumber, "CardHolderName": "Alice", "CardExpiration": "2030-12-31T00:00:00Z",
		"CardSecurityNumber": securityCode, "CardTypeId": 2, "Buyer": "Alice", "RequestId": requestID.String(),
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

	// Catalog reserved the stock.
	f.wire.publish("OrderStockConfirmedIntegrationEvent", "catalog", uuid.New(), map[string]any{"OrderId": order})
	f.wire.await("OrderStatusChangedToStockConfirmedIntegrationEvent", order)

	// Payment charged it (and its answer arrives twice, with one id).
	paymentID := uuid.New()
	f.wire.publish("OrderPaymentSucceededIntegrationEvent", "payment", paymentID, map[string]any{"OrderId": order})
	f.wire.publish("OrderPaymentSucceededIntegrationEvent", "payment", paymentID, map[string]any{"OrderId": order})
	paid := f.wire.await("OrderStatusChangedToPaidIntegrationEvent", order)
	checkStockItems(t, paid)
	if got := f.order(order).Status; got != "Paid" {
		t.Fatalf("status = %s, want Paid", got)
	}

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

	// The card is stored masked; neither it nor the security code is logged.
	if n := f.count(`SELECT count(*) FROM orders WHERE card_number_masked = 'XXXXXXXXXXXX1881'`); n != 1 {
		t.Fatal("the card is not stored masked")
	}
	if n := f.count(`SELECT count(*) FROM orders o WHERE row_to_json(o)::text LIKE '%' || $1 || '%'`, cardNumber); n != 0 {
		t.Fatal("the full card number is stored")
	}
	if line := cardInLogs(f.logs.String()); line != "" {
		t.Fatalf("the card number or security code reached the logs: %s", line)
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
	order := f.submit("buyer-" + uuid.NewString())
	f.wire.await("OrderStatusChangedToAwaitingValidationIntegrationEvent", order)
	f.wire.publish("OrderStockConfirmedIntegrationEvent", "catalog", uuid.New(), map[string]any{"OrderId": order})
	f.wire.await("OrderStatusChangedToStockConfirmedIntegrationEvent", order)

	f.wire.publish("OrderPaymentFailedIntegrationEvent", "payment", uuid.New(), map[string]any{"OrderId": order})
	f.wire.await("OrderStatusChangedToCancelledIntegrationEvent", order)
	o := f.order(order)
	if o.Status != "Cancelled" || !strings.Contains(o.Description, "payment") {
		t.Fatalf("order = %+v, want Cancelled for its payment", o)
	}
	f.command(order, "ship", http.StatusConflict)
}

// A checkout that cannot become an order (no items, an unknown card type)
// makes none: after its attempts it is parked in ordering's dead-letter
// queue, where a person can look at it, and the events behind it flow on.
func TestInvalidCheckoutIsParked(t *testing.T) {
	f := newSaga(t)
	empty := checkout("buyer-empty", uuid.New())
	empty["Basket"] = map[string]any{"BuyerId": "buyer-empty", "Items": []any{}}
	f.wire.publish("UserCheckoutAcceptedIntegrationEvent", "basket", uuid.New(), empty)
	unknownCard := checkout("buyer-card", uuid.New())
	unknownCard["CardTypeId"] = 99
	f.wire.publish("UserCheckoutAcceptedIntegrationEvent", "basket", uuid.New(), unknownCard)
	order := f.submit("buyer-valid")

	testkit.WaitFor(t, "both checkouts in the dead-letter queue", func() bool { return testkit.QueueLength(t, f.Queue+".dlq") == 2 })
	if n := f.count(`SELECT count(*) FROM orders`); n != 1 {
		t.Fatalf("%d orders, want only the valid checkout's", n)
	}
	if status := f.order(order).Status; status != "Submitted" && status != "AwaitingValidation" {
		t.Fatalf("the valid order is %s", status)
	}
	if line := cardInLogs(f.logs.String()); line != "" {
		t.Fatalf("the card number or security code reached the logs: %s", line)
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
