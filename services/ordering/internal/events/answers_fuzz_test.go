package events_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/jackc/pgx/v5"
)

// changes is an Orders that records which order a handler asked to
// change, so that a fuzz test can tell whether an event had an effect.
// Every order it is asked about does not exist.
type changes struct {
	number  int64
	changed bool
}

func (c *changes) Create(context.Context, pgx.Tx, *ordering.Order) (bool, error) {
	c.changed = true
	return true, nil
}

func (c *changes) ChangeTx(_ context.Context, _ pgx.Tx, number int64, _ func(*ordering.Order) error) (*ordering.Order, error) {
	c.number, c.changed = number, true
	return nil, ordering.ErrNotFound
}

func (c *changes) CardTypeExists(context.Context, pgx.Tx, int) (bool, error) { return true, nil }

// fuzzAnswer fuzzes ordering's handler of event E (handler picks it):
// either the event is refused as invalid before it reaches the store, or
// it asks the store about an order number above 0.
func fuzzAnswer[E eventbus.Event](f *testing.F, handler func(*events.Handlers) func(context.Context, pgx.Tx, E) error, extra ...string) {
	const id = `"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21"`
	for _, seed := range append([]string{
		`{` + id + `,"OrderId":7}`,
		`{` + id + `,"OrderId":0}`,
		`{` + id + `,"OrderId":-7}`,
		`{` + id + `,"OrderId":9223372036854775807}`,
		`{` + id + `,"OrderId":"7"}`,
		`{` + id + `}`,
		`{"OrderId":7}`,
	}, extra...) {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c := &changes{}
		err := testkit.HandleBody(t, body, handler(&events.Handlers{Orders: c, Logger: slog.New(slog.DiscardHandler)}))
		switch {
		case err != nil && c.changed:
			t.Fatalf("%s: invalid (%v), yet it reached the store", body, err)
		case err == nil && c.number <= 0:
			t.Fatalf("%s reached the store for order %d", body, c.number)
		}
	})
}

func FuzzStockConfirmed(f *testing.F) {
	fuzzAnswer(f, func(h *events.Handlers) func(context.Context, pgx.Tx, events.OrderStockConfirmedIntegrationEvent) error {
		return h.ConfirmStock
	})
}

func FuzzStockRejected(f *testing.F) {
	fuzzAnswer(f, func(h *events.Handlers) func(context.Context, pgx.Tx, events.OrderStockRejectedIntegrationEvent) error {
		return h.RejectStock
	},
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","OrderId":7,"OrderStockItems":[{"ProductId":1,"HasStock":true,"PriceMatches":false}]}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","OrderId":0,"OrderStockItems":[{"ProductId":1,"HasStock":false}]}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","OrderId":7,"OrderStockItems":{}}`,
	)
}

func FuzzPaymentSucceeded(f *testing.F) {
	fuzzAnswer(f, func(h *events.Handlers) func(context.Context, pgx.Tx, events.OrderPaymentSucceededIntegrationEvent) error {
		return h.ConfirmPayment
	})
}

func FuzzPaymentFailed(f *testing.F) {
	fuzzAnswer(f, func(h *events.Handlers) func(context.Context, pgx.Tx, events.OrderPaymentFailedIntegrationEvent) error {
		return h.FailPayment
	})
}
