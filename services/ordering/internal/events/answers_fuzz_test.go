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
// Every order it is asked about does not exist, and every checkout it is
// asked to create made an order already (so the handler adds nothing to an
// outbox: there is no transaction).
type changes struct {
	number  int64
	reached bool
}

func (c *changes) Create(context.Context, pgx.Tx, *ordering.Order) (bool, error) {
	c.reached = true
	return false, nil
}

func (c *changes) ChangeTx(_ context.Context, _ pgx.Tx, number int64, _ func(*ordering.Order) error) (*ordering.Order, error) {
	c.number, c.reached = number, true
	return nil, ordering.ErrNotFound
}

func (c *changes) CardTypeExists(context.Context, pgx.Tx, int) (bool, error) { return true, nil }

func (c *changes) Reached() bool { return c.reached }

// newHandlers returns ordering's handlers over a fresh changes.
func newHandlers() (*events.Handlers, *changes) {
	c := &changes{}
	return &events.Handlers{Orders: c, Logger: slog.New(slog.DiscardHandler)}, c
}

// fuzzAnswer fuzzes ordering's handler of an answer E (events.Answer[E]):
// either the event is refused as invalid before it reaches the store, or
// it asks the store about an order number above 0.
func fuzzAnswer[E eventbus.Event](f *testing.F, answer func(*events.Handlers) func(context.Context, pgx.Tx, E) error, extra ...string) {
	const id = `"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21"`
	seeds := append([]string{
		`{` + id + `,"OrderId":7}`,
		`{` + id + `,"OrderId":0}`,
		`{` + id + `,"OrderId":-7}`,
		`{` + id + `,"OrderId":9223372036854775807}`,
		`{` + id + `,"OrderId":"7"}`,
		`{` + id + `}`,
		`{"OrderId":7}`,
	}, extra...)
	handle := func(h *events.Handlers, ctx context.Context, tx pgx.Tx, e E) error { return answer(h)(ctx, tx, e) }
	testkit.FuzzHandler(f, seeds, newHandlers, handle, func(t *testing.T, body []byte, c *changes) {
		if c.number <= 0 {
			t.Fatalf("%s reached the store for order %d", body, c.number)
		}
	})
}

func FuzzStockConfirmed(f *testing.F) {
	fuzzAnswer(f, events.Answer[events.OrderStockConfirmedIntegrationEvent])
}

func FuzzStockRejected(f *testing.F) {
	fuzzAnswer(f, events.Answer[events.OrderStockRejectedIntegrationEvent],
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","OrderId":7,"OrderStockItems":[{"ProductId":1,"HasStock":true,"PriceMatches":false}]}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","OrderId":0,"OrderStockItems":[{"ProductId":1,"HasStock":false}]}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","OrderId":7,"OrderStockItems":{}}`,
	)
}

func FuzzPaymentSucceeded(f *testing.F) {
	fuzzAnswer(f, events.Answer[events.OrderPaymentSucceededIntegrationEvent])
}

func FuzzPaymentFailed(f *testing.F) {
	fuzzAnswer(f, events.Answer[events.OrderPaymentFailedIntegrationEvent])
}
