package service_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

const (
	awaitingValidation = "OrderStatusChangedToAwaitingValidationIntegrationEvent"
	orderCancelled     = "OrderStatusChangedToCancelledIntegrationEvent"
	orderPaid          = "OrderStatusChangedToPaidIntegrationEvent"
	stockConfirmed     = "OrderStockConfirmedIntegrationEvent"
	stockRejected      = "OrderStockRejectedIntegrationEvent"
)

// stockLine is a line of an order as ordering sends it; UnitPrice is left
// out when empty, as in Paid.
type stockLine struct {
	ProductID int64       `json:"ProductId"`
	Units     int         `json:"Units"`
	UnitPrice json.Number `json:"UnitPrice,omitempty"`
}

// price returns the current price of the item id, as an order line at
// that price carries it.
func (c *catalogUnderTest) price(id int64) json.Number {
	c.t.Helper()
	it, _ := c.getItem("/api/catalog/items/" + strconv.FormatInt(id, 10))
	return json.Number(strconv.FormatFloat(it.Price, 'f', 2, 64))
}

// orderEvent is an order status event as ordering puts it on the wire.
func orderEvent(id string, orderID int64, status string, lines ...stockLine) map[string]any {
	e := map[string]any{
		"Id": id, "CreationDate": "2026-11-25T10:00:00Z", "OrderId": orderID, "OrderStatus": status,
		"BuyerName": "ana", "BuyerIdentityGuid": "b-1", "SomethingNew": true,
	}
	if lines != nil {
		e["OrderStockItems"] = lines
	}
	return e
}

// TestStockFlowOverTheBroker runs flows 4 and 6 of docs/events.md through
// RabbitMQ: ordering's events come in on the catalog's queue, the answers go
// out on the exchange, duplicates (the same message twice) change nothing.
func TestStockFlowOverTheBroker(t *testing.T) {
	c := startCatalog(t)
	answers := c.observe(stockConfirmed, stockRejected)
	var before item
	c.json("GET", "/api/catalog/items/5", "", 200, &before)

	reserve := uuid.NewString()
	c.publish(awaitingValidation, reserve, orderEvent(reserve, 41, "AwaitingValidation", stockLine{5, 2, c.price(5)}))
	c.publish(awaitingValidation, reserve, orderEvent(reserve, 41, "AwaitingValidation", stockLine{5, 2, c.price(5)}))
	d := next(t, answers)
	var confirmed struct {
		ID      string `json:"Id"`
		OrderID int64  `json:"OrderId"`
	}
	if err := json.Unmarshal(d.Body, &confirmed); err != nil {
		t.Fatal(err)
	}
	if d.Type != stockConfirmed || confirmed.OrderID != 41 || d.AppId != "catalog" || d.MessageId != confirmed.ID {
		t.Fatalf("answer %s %s, want %s for order 41", d.Type, compactJSON(d.Body), stockConfirmed)
	}

	// More than there is: rejected, with HasStock per line.
	tooMany := uuid.NewString()
	c.publish(awaitingValidation, tooMany, orderEvent(tooMany, 42, "AwaitingValidation", stockLine{5, 1000, c.price(5)}, stockLine{1, 1, c.price(1)}))
	d = next(t, answers)
	var rejected struct {
		OrderID         int64 `json:"OrderId"`
		OrderStockItems []struct {
			ProductID int64 `json:"ProductId"`
			HasStock  bool  `json:"HasStock"`
		}
	}
	if err := json.Unmarshal(d.Body, &rejected); err != nil {
		t.Fatal(err)
	}
	if d.Type != stockRejected || rejected.OrderID != 42 || len(rejected.OrderStockItems) != 2 ||
		rejected.OrderStockItems[0].ProductID != 1 || !rejected.OrderStockItems[0].HasStock ||
		rejected.OrderStockItems[1].ProductID != 5 || rejected.OrderStockItems[1].HasStock {
		t.Fatalf("answer %s %s, want a rejection of order 42 (product 1 has stock, 5 not)", d.Type, compactJSON(d.Body))
	}
	testkit.WaitQueueDrained(t, c.Queue)
	var reserved item
	c.json("GET", "/api/catalog/items/5", "", 200, &reserved)
	if reserved.AvailableStock != before.AvailableStock-2 {
		t.Fatalf("stock %d, want %d", reserved.AvailableStock, before.AvailableStock-2)
	}

	cancel := uuid.NewString()
	c.publish(orderCancelled, cancel, orderEvent(cancel, 41, "Cancelled"))
	c.publish(orderCancelled, cancel, orderEvent(cancel, 41, "Cancelled"))
	testkit.WaitQueueDrained(t, c.Queue)
	var released item
	var handled int
	if err := c.DB.QueryRow(t.Context(), `SELECT count(*) FROM integration_event_log WHERE event_name = $1`, stockConfirmed).Scan(&handled); err != nil {
		t.Fatal(err)
	}
	c.json("GET", "/api/catalog/items/5", "", 200, &released)
	if handled != 1 || released.AvailableStock != before.AvailableStock {
		t.Fatalf("%d confirmations, stock %d; want 1 and %d", handled, released.AvailableStock, before.AvailableStock)
	}
}

// rejection is an OrderStockRejected as ordering reads it.
type rejection struct {
	OrderID         int64 `json:"OrderId"`
	OrderStockItems []struct {
		ProductID    int64 `json:"ProductId"`
		HasStock     bool  `json:"HasStock"`
		PriceMatches bool  `json:"PriceMatches"`
	}
}

// reservations counts the orders the catalog holds a reservation row for.
func (c *catalogUnderTest) reservations() int {
	c.t.Helper()
	var n int
	if err := c.DB.QueryRow(c.t.Context(), `SELECT count(*) FROM order_reservations`).Scan(&n); err != nil {
		c.t.Fatal(err)
	}
	return n
}

// The row: a basket line for a 449.00 product at 0.00 became an
// order at 0.00, and catalog reserved it. An order whose lines are not at
// the product's current price is rejected, per product, and nothing is
// reserved (docs/events.md flow 4); ordering then cancels it.
func TestOrderNotAtTheCatalogPriceIsRejected(t *testing.T) {
	c := startCatalog(t)
	answers := c.observe(stockConfirmed, stockRejected)
	tent, _ := c.getItem("/api/catalog/items/6")
	if tent.Price != 449 {
		t.Fatalf("item 6 costs %v; the test wants the 449.00 tent", tent.Price)
	}
	for _, o := range []struct {
		order int64
		lines []stockLine
		// the products of the answer, in product-id order: 6 last
		products []int64
	}{
		{61, []stockLine{{6, 1, "0.00"}}, []int64{6}},
		{62, []stockLine{{6, 1, "449.00"}, {6, 1, "448.99"}, {1, 1, c.price(1)}}, []int64{1, 6}},
	} {
		id := uuid.NewString()
		c.publish(awaitingValidation, id, orderEvent(id, o.order, "AwaitingValidation", o.lines...))
		d := next(t, answers)
		var r rejection
		if err := json.Unmarshal(d.Body, &r); err != nil {
			t.Fatal(err)
		}
		ok := d.Type == stockRejected && r.OrderID == o.order && len(r.OrderStockItems) == len(o.products)
		for i, it := range r.OrderStockItems {
			ok = ok && it.ProductID == o.products[i] && it.HasStock && it.PriceMatches == (it.ProductID != 6)
		}
		if !ok {
			t.Fatalf("answer %s %s, want a rejection of order %d: every product in stock, 6 not at its price", d.Type, compactJSON(d.Body), o.order)
		}
	}
	testkit.WaitQueueDrained(t, c.Queue)
	after, _ := c.getItem("/api/catalog/items/6")
	if after.AvailableStock != tent.AvailableStock || c.reservations() != 0 {
		t.Fatalf("stock %d (was %d), %d reservations: something was reserved", after.AvailableStock, tent.AvailableStock, c.reservations())
	}
}

// Order events ordering could never have sent are parked at once, with
// their reason, and change nothing; among them the row, a forged
// AwaitingValidation for an unknown order with lines of -5 and +6 units,
// which were merged to 1 unit and reserved for good.
func TestInvalidOrderEventsAreParked(t *testing.T) {
	c := startCatalog(t)
	answers := c.observe(stockConfirmed, stockRejected)
	before, _ := c.getItem("/api/catalog/items/1")
	price := c.price(1)
	bad := []struct {
		name string
		body map[string]any
		why  string
	}{
		{awaitingValidation, orderEvent("", 9001, "AwaitingValidation", stockLine{1, -5, price}, stockLine{1, 6, price}), "-5 units"},
		{awaitingValidation, orderEvent("", 9002, "AwaitingValidation", stockLine{1, 0, price}), "0 units"},
		{awaitingValidation, orderEvent("", 9003, "AwaitingValidation", stockLine{1, 1, ""}), "no UnitPrice"},
		{awaitingValidation, orderEvent("", 9004, "AwaitingValidation", stockLine{1, 1, "-1.00"}), "unit price -1"},
		{awaitingValidation, orderEvent("", 9005, "AwaitingValidation", stockLine{1, 1, "1.001"}), "unit price 1.001"},
		{awaitingValidation, orderEvent("", 9006, "AwaitingValidation", stockLine{2147483648, 1, price}), "product id"},
		{awaitingValidation, orderEvent("", 9007, "AwaitingValidation", []stockLine{}...), "no lines"},
		{awaitingValidation, orderEvent("", 0, "AwaitingValidation", stockLine{1, 1, price}), "order id 0"},
		{orderPaid, orderEvent("", -1, "Paid", stockLine{1, 1, ""}), "order id -1"},
		{orderPaid, orderEvent("", 9008, "Paid", stockLine{1, -1, ""}), "-1 units"},
		{orderCancelled, orderEvent("", 0, "Cancelled"), "order id 0"},
	}
	why := map[uuid.UUID]string{}
	for _, b := range bad {
		id := uuid.New()
		b.body["Id"] = id
		why[id] = b.why
		c.publish(b.name, id.String(), b.body)
	}
	for _, p := range testkit.WaitParked(t, c.Queue, len(bad)) {
		if p.Reason != rabbitmq.ReasonInvalid || p.Attempts != 1 || !strings.Contains(p.LastError, why[p.ID]) {
			t.Errorf("%s parked as %q after %d attempt(s): %s; want invalid at once, saying %q", p.Name, p.Reason, p.Attempts, p.LastError, why[p.ID])
		}
	}
	after, _ := c.getItem("/api/catalog/items/1")
	if after.AvailableStock != before.AvailableStock || c.reservations() != 0 {
		t.Fatalf("stock %d (was %d), %d reservations: an invalid event had an effect", after.AvailableStock, before.AvailableStock, c.reservations())
	}

	// Valid events still flow.
	good := uuid.NewString()
	c.publish(awaitingValidation, good, orderEvent(good, 9009, "AwaitingValidation", stockLine{1, 1, price}))
	if d := next(t, answers); d.Type != stockConfirmed {
		t.Fatalf("answer %s %s, want %s", d.Type, compactJSON(d.Body), stockConfirmed)
	}
}
