package events_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/eshop-go/eshop-go/services/catalog/internal/events"
	"github.com/jackc/pgx/v5"
)

// stockCalls is a Stock that records what the handlers asked of it, so
// that a fuzz test can tell whether an event had an effect. Every order
// it is asked about was cancelled already, so that ReserveStock answers
// nothing (there is no transaction for the outbox).
type stockCalls struct {
	orderID int64
	lines   []catalog.OrderLine
	called  bool
}

func (s *stockCalls) ReserveStock(_ context.Context, _ pgx.Tx, order catalog.OrderRef, lines []catalog.OrderLine) (catalog.Reservation, error) {
	s.orderID, s.lines, s.called = order.Number, lines, true
	return catalog.Reservation{Outcome: catalog.AlreadyReleased}, nil
}

func (s *stockCalls) FinalizeReservation(_ context.Context, _ pgx.Tx, order catalog.OrderRef) (bool, error) {
	s.orderID, s.called = order.Number, true
	return false, nil
}

func (s *stockCalls) ReleaseReservation(_ context.Context, _ pgx.Tx, order catalog.OrderRef) (catalog.ReservationState, error) {
	s.orderID, s.called = order.Number, true
	return catalog.Released, nil
}

func (s *stockCalls) Reached() bool { return s.called }

// newHandlers returns the catalog's handlers over a fresh stockCalls.
func newHandlers() (*events.Handlers, *stockCalls) {
	s := &stockCalls{}
	return &events.Handlers{Stock: s, Logger: slog.New(slog.DiscardHandler)}, s
}

// fuzzOrderEvent fuzzes the catalog's handler of event E: either the event
// is refused as invalid before it reaches the store, or the store is asked
// about a valid order, and about lines that pass check.
func fuzzOrderEvent[E eventbus.Event](f *testing.F, handle func(*events.Handlers, context.Context, pgx.Tx, E) error, seeds []string, check func([]catalog.OrderLine) bool) {
	testkit.FuzzHandler(f, seeds, newHandlers, handle, func(t *testing.T, body []byte, s *stockCalls) {
		if s.orderID <= 0 || !check(s.lines) {
			t.Fatalf("%s reached the store as order %d, lines %+v", body, s.orderID, s.lines)
		}
	})
}

const fuzzID = `"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21"`

func FuzzAwaitingValidation(f *testing.F) {
	fuzzOrderEvent(f, (*events.Handlers).ReserveStock, []string{
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":2,"UnitPrice":19.50}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":-5,"UnitPrice":1},{"ProductId":1,"Units":6,"UnitPrice":1}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":1}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":1,"UnitPrice":0.00}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":2147483648,"Units":1,"UnitPrice":1}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":2147483648,"UnitPrice":1}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":1,"UnitPrice":1e2147483647}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":1,"UnitPrice":9e9999}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":1,"UnitPrice":1e-10000}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[]}`,
		`{` + fuzzID + `,"OrderId":0,"OrderStockItems":[{"ProductId":1,"Units":1,"UnitPrice":1}]}`,
		`{"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":1,"UnitPrice":1}]}`,
	}, func(lines []catalog.OrderLine) bool {
		for _, l := range lines {
			if l.ProductID < 1 || l.ProductID > catalog.MaxProductID || l.Units < 1 || l.Units > catalog.MaxUnits || l.UnitPrice.IsNegative() || !l.UnitPrice.HasCents() {
				return false
			}
		}
		return len(lines) > 0
	})
}

func FuzzPaid(f *testing.F) {
	fuzzOrderEvent(f, (*events.Handlers).FinalizeStock, []string{
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":2}]}`,
		`{` + fuzzID + `,"OrderId":-7,"OrderStockItems":[{"ProductId":1,"Units":2}]}`,
		`{` + fuzzID + `,"OrderId":7,"OrderStockItems":[{"ProductId":1,"Units":0}]}`,
		`{` + fuzzID + `,"OrderId":7}`,
	}, func(lines []catalog.OrderLine) bool { return lines == nil })
}

func FuzzCancelled(f *testing.F) {
	fuzzOrderEvent(f, (*events.Handlers).ReleaseStock, []string{
		`{` + fuzzID + `,"OrderId":7}`,
		`{` + fuzzID + `,"OrderId":0}`,
		`{` + fuzzID + `,"OrderId":"7"}`,
		`{"OrderId":7}`,
	}, func(lines []catalog.OrderLine) bool { return lines == nil })
}
