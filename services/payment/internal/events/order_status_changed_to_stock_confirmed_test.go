package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/inmem"
	"github.com/eshop-go/eshop-go/services/payment/internal/events"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

func request(orderID int64) events.OrderStatusChangedToStockConfirmedIntegrationEvent {
	return events.OrderStatusChangedToStockConfirmedIntegrationEvent{
		IntegrationEvent: eventbus.NewIntegrationEvent(),
		OrderID:          orderID, OrderStatus: "StockConfirmed", BuyerName: "Alice", BuyerIdentityGUID: "b1",
	}
}

func TestChargeAnswersWithADeterministicID(t *testing.T) {
	for _, tc := range []struct {
		succeed bool
		answer  string
	}{{true, "OrderPaymentSucceededIntegrationEvent"}, {false, "OrderPaymentFailedIntegrationEvent"}} {
		t.Run(tc.answer, func(t *testing.T) {
			bus := &inmem.Bus{}
			h := &events.Handlers{Publisher: bus, Succeed: tc.succeed, Logger: slog.New(slog.DiscardHandler)}
			req := request(7)
			// The same request twice (a redelivery) answers twice with one id.
			for range 2 {
				if err := h.Charge(context.Background(), req); err != nil {
					t.Fatal(err)
				}
			}
			got := bus.Published()
			if len(got) != 2 || got[0].ID != got[1].ID || string(got[0].Body) != string(got[1].Body) {
				t.Fatalf("answers = %+v, want the same message twice", got)
			}
			if got[0].Name != tc.answer || got[0].ID != payment.AnswerID(req.ID, tc.answer) {
				t.Fatalf("answer %s %s, want %s %s", got[0].Name, got[0].ID, tc.answer, payment.AnswerID(req.ID, tc.answer))
			}
			var body map[string]any
			if err := json.Unmarshal(got[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			if body["OrderId"] != float64(7) || body["Id"] != got[0].ID.String() {
				t.Fatalf("body = %s", got[0].Body)
			}
			if _, err := time.Parse(time.RFC3339, body["CreationDate"].(string)); err != nil {
				t.Fatalf("CreationDate: %v", err)
			}
		})
	}
}

type failingPublisher struct{ err error }

func (p failingPublisher) Publish(context.Context, eventbus.Message) error { return p.err }

// A publish that was not confirmed fails the handler, so the transport does
// not acknowledge the request: it is retried or redelivered.
func TestChargeFailsWhenTheAnswerIsNotConfirmed(t *testing.T) {
	broken := errors.New("no confirm")
	h := &events.Handlers{Publisher: failingPublisher{broken}, Succeed: true, Logger: slog.New(slog.DiscardHandler)}
	if err := h.Charge(context.Background(), request(1)); !errors.Is(err, broken) {
		t.Fatalf("err = %v, want the publish error", err)
	}
}
