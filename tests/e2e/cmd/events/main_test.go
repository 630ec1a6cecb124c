package main

import (
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// A line names the event, its id, correlation id and publisher, and shows
// the body on one line with the card data masked and cut short.
func TestALineMasksCardDataAndStaysOnOneLine(t *testing.T) {
	d := amqp.Delivery{
		Type: "OrderStatusChangedToStockConfirmedIntegrationEvent", MessageId: "6f1c", AppId: "ordering",
		Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Headers:   amqp.Table{"x-correlation-id": "corr-1"},
		Body:      []byte("{\"OrderId\":7,\n\"CardNumber\":\"4012888888881881\",\"CardSecurityNumber\":\"4729\",\"Note\":\"paid with 4012 8888 8888 1881\"}"),
	}
	got := line(d, 1000)
	for _, want := range []string{"03:04:05 OrderStatusChangedToStockConfirmedIntegrationEvent", "id=6f1c", "corr=corr-1", "from=ordering", `"OrderId":7`, "[masked]"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	for _, leak := range []string{"4012888888881881", "4729", "8888 8888"} {
		if strings.Contains(got, leak) {
			t.Errorf("line %q shows card data %q", got, leak)
		}
	}
	if strings.ContainsAny(got, "\n\r") {
		t.Errorf("line %q spans more than one line", got)
	}
	if short := line(d, 10); !strings.HasSuffix(short, "…") || strings.Contains(short, "CardNumber") {
		t.Errorf("a body cut at 10 characters: %q", short)
	}
	if bare := line(amqp.Delivery{RoutingKey: "SomethingIntegrationEvent"}, 0); !strings.Contains(bare, "SomethingIntegrationEvent") || !strings.Contains(bare, "corr=- from=-") || strings.HasSuffix(bare, " ") {
		t.Errorf("an event without type, headers or body: %q", bare)
	}
}

// A payment token charges the card it seals: the tail never prints one,
// under its key or anywhere else in the body.
func TestALineMasksPaymentTokens(t *testing.T) {
	const token = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..q1w2e3r4t5y6u7i8.Y2lwaGVydGV4dC1vZi10aGUtY2FyZA.dGFnLXRhZy10YWctdGFn"
	d := amqp.Delivery{
		Type: "OrderStatusChangedToStockConfirmedIntegrationEvent", MessageId: "6f1c", AppId: "ordering",
		Body: []byte(`{"OrderId":7,"PaymentToken":"` + token + `","Note":"retry ` + token + `"}`),
	}
	got := line(d, 1000)
	if strings.Contains(got, token) || strings.Contains(got, "q1w2e3r4t5y6u7i8") || !strings.Contains(got, `"PaymentToken":"[masked]"`) {
		t.Errorf("line %q shows the payment token", got)
	}
}
