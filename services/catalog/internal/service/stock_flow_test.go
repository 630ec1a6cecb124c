package service_test

import (
	"encoding/json"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

const (
	awaitingValidation = "OrderStatusChangedToAwaitingValidationIntegrationEvent"
	orderCancelled     = "OrderStatusChangedToCancelledIntegrationEvent"
	stockConfirmed     = "OrderStockConfirmedIntegrationEvent"
	stockRejected      = "OrderStockRejectedIntegrationEvent"
)

type stockLine struct {
	ProductID int64 `json:"ProductId"`
	Units     int   `json:"Units"`
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

// TestStockFlowOverTheBroker runs flows 4 and 6 of events.md through
// RabbitMQ: ordering's events come in on the catalog's queue, the answers go
// out on the exchange, duplicates (the same message twice) change nothing.
func TestStockFlowOverTheBroker(t *testing.T) {
	c := startCatalog(t)
	answers := c.observe(stockConfirmed, stockRejected)
	var before item
	c.json("GET", "/api/catalog/items/5", "", 200, &before)

	reserve := uuid.NewString()
	c.publish(awaitingValidation, reserve, orderEvent(reserve, 41, "AwaitingValidation", stockLine{5, 2}))
	c.publish(awaitingValidation, reserve, orderEvent(reserve, 41, "AwaitingValidation", stockLine{5, 2}))
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
	c.publish(awaitingValidation, tooMany, orderEvent(tooMany, 42, "AwaitingValidation", stockLine{5, 1000}, stockLine{1, 1}))
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
