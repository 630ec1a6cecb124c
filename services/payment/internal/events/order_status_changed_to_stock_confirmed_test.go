package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/inmem"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/payment/internal/events"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

const cardNumber = "4012888888881881"

func newTokens(t testing.TB) *payment.Tokens {
	t.Helper()
	tokens, err := payment.NewTokens(payment.RandomTokenKey(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// seal returns the token of the test card, sealed at sealedAt.
func seal(t testing.TB, tokens *payment.Tokens, sealedAt time.Time) string {
	t.Helper()
	token, _, err := tokens.Seal(payment.Card{Number: cardNumber, HolderName: "Alice", Expiration: sealedAt.AddDate(1, 0, 0), TypeID: 2}, "b1", sealedAt)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func request(orderID int64, token string) events.OrderStatusChangedToStockConfirmedIntegrationEvent {
	return events.OrderStatusChangedToStockConfirmedIntegrationEvent{
		IntegrationEvent: eventbus.NewIntegrationEvent(),
		OrderID:          orderID, OrderStatus: "StockConfirmed", BuyerName: "Alice", BuyerIdentityGUID: "b1",
		PaymentToken: token, Total: money.MustParse("19.50"),
	}
}

func handlers(bus eventbus.Publisher, tokens events.Tokens, succeed bool, logs *strings.Builder) *events.Handlers {
	return &events.Handlers{Publisher: bus, Tokens: tokens, Spent: &payment.SpentTokens{}, Succeed: succeed, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
}

func TestChargeAnswersWithADeterministicID(t *testing.T) {
	tokens := newTokens(t)
	now := time.Now()
	for _, tc := range []struct {
		name    string
		succeed bool
		token   string
		answer  string
	}{
		{"a valid token", true, seal(t, tokens, now), "OrderPaymentSucceededIntegrationEvent"},
		{"PAYMENT_SUCCEEDED=false", false, seal(t, tokens, now), "OrderPaymentFailedIntegrationEvent"},
		{"an expired token", true, seal(t, tokens, now.Add(-2*time.Hour)), "OrderPaymentFailedIntegrationEvent"},
		{"another key's token", true, seal(t, newTokens(t), now), "OrderPaymentFailedIntegrationEvent"},
		{"not a token", true, "x.y.z", "OrderPaymentFailedIntegrationEvent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bus := &inmem.Bus{}
			var logs strings.Builder
			h := handlers(bus, tokens, tc.succeed, &logs)
			req := request(7, tc.token)
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
			if strings.Contains(logs.String(), tc.token) || strings.Contains(logs.String(), cardNumber) {
				t.Fatalf("the log shows the token or the card: %s", logs.String())
			}
		})
	}
}

// A request no ordering sends is parked at once and answers nothing.
func TestChargeRefusesAnInvalidRequest(t *testing.T) {
	tokens := newTokens(t)
	token := seal(t, tokens, time.Now())
	for name, edit := range map[string]func(*events.OrderStatusChangedToStockConfirmedIntegrationEvent){
		"order id 0":          func(e *events.OrderStatusChangedToStockConfirmedIntegrationEvent) { e.OrderID = 0 },
		"total 0":             func(e *events.OrderStatusChangedToStockConfirmedIntegrationEvent) { e.Total = money.Zero },
		"negative total":      func(e *events.OrderStatusChangedToStockConfirmedIntegrationEvent) { e.Total = money.MustParse("-1") },
		"total of 3 decimals": func(e *events.OrderStatusChangedToStockConfirmedIntegrationEvent) { e.Total = money.MustParse("1.005") },
		"no token":            func(e *events.OrderStatusChangedToStockConfirmedIntegrationEvent) { e.PaymentToken = "" },
	} {
		t.Run(name, func(t *testing.T) {
			bus := &inmem.Bus{}
			req := request(7, token)
			edit(&req)
			err := handlers(bus, tokens, true, &strings.Builder{}).Charge(context.Background(), req)
			if !errors.Is(err, eventbus.ErrInvalidEvent) {
				t.Fatalf("err = %v, want ErrInvalidEvent", err)
			}
			if n := len(bus.Published()); n != 0 {
				t.Fatalf("%d answers to an invalid request", n)
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
	tokens := newTokens(t)
	h := handlers(failingPublisher{broken}, tokens, true, &strings.Builder{})
	if err := h.Charge(context.Background(), request(1, seal(t, tokens, time.Now()))); !errors.Is(err, broken) {
		t.Fatalf("err = %v, want the publish error", err)
	}
}
