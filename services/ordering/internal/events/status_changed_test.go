package events_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/google/uuid"
)

// Every status has its event, named and shaped as docs/events.md says.
func TestStatusEventWireFormat(t *testing.T) {
	base := []string{"BuyerIdentityGuid", "BuyerName", "CreationDate", "Id", "OrderGuid", "OrderId", "OrderStatus"}
	guid := uuid.MustParse("0b1d7f3e-5a6c-4e2b-9c8d-7e6f5a4b3c2d")
	withStock := append(slices.Clone(base), "OrderStockItems")
	slices.Sort(withStock)
	withPayment := append(slices.Clone(base), "PaymentToken", "Total")
	slices.Sort(withPayment)
	for _, status := range ordering.Statuses {
		t.Run(string(status), func(t *testing.T) {
			c := ordering.StatusChange{OrderNumber: 12, OrderGUID: guid, Status: status, BuyerID: "b1", BuyerName: "Alice"}
			if status == ordering.AwaitingValidation || status == ordering.Paid {
				c.StockItems = []ordering.StockItem{{ProductID: 3, Units: 2, UnitPrice: money.MustParse("19.50")}}
			}
			if status == ordering.StockConfirmed {
				c.PaymentToken, c.Total = "tok.en", money.MustParse("19.50")
			}
			e := events.StatusEvent(c)
			if want := "OrderStatusChangedTo" + string(status) + "IntegrationEvent"; e.EventName() != want {
				t.Fatalf("name %s, want %s", e.EventName(), want)
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatal(err)
			}
			keys := slices.Sorted(maps.Keys(body))
			want := base
			if c.StockItems != nil {
				want = withStock
			}
			if c.PaymentToken != "" {
				want = withPayment
				if body["PaymentToken"] != "tok.en" || body["Total"] != 19.5 {
					t.Fatalf("body %s, want the token and the total", b)
				}
			}
			if !slices.Equal(keys, want) {
				t.Fatalf("fields %v, want %v", keys, want)
			}
			if body["OrderId"] != 12.0 || body["OrderGuid"] != guid.String() || body["OrderStatus"] != string(status) || body["BuyerIdentityGuid"] != "b1" ||
				body["BuyerName"] != "Alice" || body["Id"] != e.EventID().String() {
				t.Fatalf("body %s", b)
			}
			// Catalog reserves at the unit price; making the reservation
			// final needs none.
			wantItems := `[{"ProductId":3,"Units":2}]`
			if status == ordering.AwaitingValidation {
				wantItems = `[{"ProductId":3,"UnitPrice":19.5,"Units":2}]`
			}
			if c.StockItems != nil && string(mustJSON(t, body["OrderStockItems"])) != wantItems {
				t.Fatalf("OrderStockItems %s, want %s", mustJSON(t, body["OrderStockItems"]), wantItems)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The checkout event's log value leaves the payment token out.
func TestCheckoutLogValueHidesTheToken(t *testing.T) {
	e := events.UserCheckoutAcceptedIntegrationEvent{PaymentToken: "secret.token", CardLast4: "1881"}
	if s := e.LogValue().String(); strings.Contains(s, "secret.token") {
		t.Fatalf("log value %s shows the token", s)
	}
}
