package events_test

import (
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/payment/internal/events"
)

// FuzzDecodeStockConfirmed feeds arbitrary bodies to the decoding and
// validation of ordering's charge request: never a panic; a body is either
// refused as an invalid event or holds a request payment can charge.
func FuzzDecodeStockConfirmed(f *testing.F) {
	testkit.FuzzDecode(f, []string{
		`{"Id":"6f1c9f0e-1b9e-4d3c-9d7e-0c1c2b3a4d5e","CreationDate":"2026-11-25T10:00:00Z","OrderId":7,"OrderStatus":"StockConfirmed","PaymentToken":"a.b.c.d.e","Total":19.50}`,
		`{"OrderId":7,"PaymentToken":"t","Total":0}`,
		`{"OrderId":-1,"PaymentToken":"t","Total":1}`,
		`{"OrderId":7,"PaymentToken":"","Total":1}`,
		`{"OrderId":7,"PaymentToken":"t","Total":1.005}`,
		`{"OrderId":7,"PaymentToken":"t","Total":"1.00"}`,
		`{"OrderId":1e30,"PaymentToken":"t","Total":1e30}`,
		`{"Id":"6f1c9f0e-1b9e-4d3c-9d7e-0c1c2b3a4d5e","OrderId":7,"PaymentToken":"t","Total":1e2147483647}`,
		`{"Id":"6f1c9f0e-1b9e-4d3c-9d7e-0c1c2b3a4d5e","OrderId":7,"PaymentToken":"t","Total":9e9999}`,
		`{"Id":"6f1c9f0e-1b9e-4d3c-9d7e-0c1c2b3a4d5e","OrderId":7,"PaymentToken":"t","Total":1e-10000}`,
		`{"OrderId":7,"PaymentToken":7,"Total":1}`,
		`{}`, `[]`, `null`, ``, `{"OrderId":`,
	}, events.OrderStatusChangedToStockConfirmedIntegrationEvent.Validate, func(t *testing.T, body []byte, e events.OrderStatusChangedToStockConfirmedIntegrationEvent) {
		if e.OrderID <= 0 || !e.Total.IsPositive() || !e.Total.HasCents() || e.PaymentToken == "" || e.Total.Decimal().NumDigits()+int(e.Total.Decimal().Exponent()) > money.MaxIntegerDigits {
			t.Fatalf("accepted %q as %+v", body, e)
		}
	})
}
