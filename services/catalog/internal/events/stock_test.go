package events_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/inmem"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/events"
	"github.com/eshop-go/eshop-go/services/catalog/internal/postgres"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// stockFixture is the catalog's event handlers subscribed, through the real
// inbox and a fresh seeded database, to an in-process bus: publishing an
// event runs its handler in the publishing goroutine, so goroutines that
// publish at once handle at once.
type stockFixture struct {
	t    *testing.T
	ctx  context.Context
	pool *pgxpool.Pool
	bus  *inmem.Bus
}

func newStockFixture(t *testing.T) *stockFixture {
	t.Helper()
	ctx := context.Background()
	pool := testkit.NewPool(t, postgres.Migrations)
	store := postgres.NewStore(pool, events.PriceChangeEvent)
	if err := store.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE catalog_items SET price = $1`, linePrice); err != nil {
		t.Fatal(err)
	}
	bus := &inmem.Bus{MaxAttempts: 1}
	handlers := &events.Handlers{Stock: store, Logger: slog.New(slog.DiscardHandler)}
	for _, r := range handlers.Routes(pool) {
		if _, err := bus.Subscribe(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	f := &stockFixture{t: t, ctx: ctx, pool: pool, bus: bus}
	t.Cleanup(func() {
		if dead := bus.DeadLetters(); len(dead) > 0 {
			t.Errorf("%d handler(s) failed, first: %s %s", len(dead), dead[0].Name, dead[0].Body)
		}
	})
	return f
}

// publish runs the handlers of e; it may be called from any goroutine.
func (f *stockFixture) publish(e eventbus.Event) {
	f.t.Helper()
	if err := eventbus.Publish(f.ctx, f.bus, e); err != nil {
		f.t.Error(err)
	}
}

func (f *stockFixture) setStock(productID int64, units int) {
	f.t.Helper()
	if _, err := f.pool.Exec(f.ctx, `UPDATE catalog_items SET available_stock = $2 WHERE id = $1`, productID, units); err != nil {
		f.t.Fatal(err)
	}
}

func (f *stockFixture) stock(productID int64) int {
	f.t.Helper()
	var n int
	if err := f.pool.QueryRow(f.ctx, `SELECT available_stock FROM catalog_items WHERE id = $1`, productID).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// answer is an event the handlers stored in the outbox for ordering.
type answer struct {
	Name            string
	OrderID         int64     `json:"OrderId"`
	OrderGUID       uuid.UUID `json:"OrderGuid"`
	OrderStockItems []struct {
		ProductID int64 `json:"ProductId"`
		HasStock  bool  `json:"HasStock"`
	}
}

// answers returns the answers in the outbox, by order id.
func (f *stockFixture) answers() map[int64][]answer {
	f.t.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT event_name, content::text FROM integration_event_log ORDER BY seq`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	byOrder := map[int64][]answer{}
	for rows.Next() {
		var name, content string
		if err := rows.Scan(&name, &content); err != nil {
			f.t.Fatal(err)
		}
		a := answer{Name: name}
		if err := json.Unmarshal([]byte(content), &a); err != nil {
			f.t.Fatal(err)
		}
		byOrder[a.OrderID] = append(byOrder[a.OrderID], a)
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return byOrder
}

// linePrice is the price of every product in the fixture, and the unit
// price of every order line.
var linePrice = money.MustParse("10.00")

// line is an order line of units of product, at its price.
func line(product int64, units int) events.PricedOrderStockItem {
	return events.PricedOrderStockItem{OrderStockItem: events.OrderStockItem{ProductID: product, Units: units}, UnitPrice: &linePrice}
}

func awaitingValidation(orderID int64, lines ...events.PricedOrderStockItem) events.OrderStatusChangedToAwaitingValidationIntegrationEvent {
	return events.OrderStatusChangedToAwaitingValidationIntegrationEvent{
		OrderStatusChanged: orderStatus(orderID, "AwaitingValidation"), OrderStockItems: lines,
	}
}

func orderStatus(orderID int64, status string) events.OrderStatusChanged {
	return events.OrderStatusChanged{
		IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: orderID,
		OrderStatus: status, BuyerName: "ana", BuyerIdentityGUID: "ana",
	}
}

func paid(orderID int64, lines ...events.OrderStockItem) events.OrderStatusChangedToPaidIntegrationEvent {
	return events.OrderStatusChangedToPaidIntegrationEvent{OrderStatusChanged: orderStatus(orderID, "Paid"), OrderStockItems: lines}
}

func cancelled(orderID int64) events.OrderStatusChangedToCancelledIntegrationEvent {
	return events.OrderStatusChangedToCancelledIntegrationEvent{OrderStatusChanged: orderStatus(orderID, "Cancelled")}
}

const (
	confirmedName = "OrderStockConfirmedIntegrationEvent"
	rejectedName  = "OrderStockRejectedIntegrationEvent"
)

func TestConcurrentOrdersForTheLastUnitsNeverOversell(t *testing.T) {
	f := newStockFixture(t)
	f.setStock(1, 10)
	f.setStock(2, 1000)

	// 50 orders of one unit of product 1 (and one of product 2) at once:
	// exactly 10 fit.
	var wg sync.WaitGroup
	for order := int64(1); order <= 50; order++ {
		wg.Go(func() {
			f.publish(awaitingValidation(order, line(2, 1), line(1, 1)))
		})
	}
	wg.Wait()
	confirmed := 0
	for order, as := range f.answers() {
		if len(as) != 1 {
			t.Fatalf("order %d has %d answers, want 1", order, len(as))
		}
		switch as[0].Name {
		case confirmedName:
			confirmed++
		case rejectedName:
			for _, line := range as[0].OrderStockItems {
				if line.HasStock != (line.ProductID == 2) {
					t.Fatalf("order %d rejected with %+v; want product 1 without stock, product 2 with", order, as[0].OrderStockItems)
				}
			}
		}
	}
	if confirmed != 10 || f.stock(1) != 0 || f.stock(2) != 990 {
		t.Fatalf("%d confirmed, stock %d and %d; want 10 confirmed, 0 and 990", confirmed, f.stock(1), f.stock(2))
	}

	// Orders of 1 to 4 units of product 3 at once: what is confirmed adds
	// up to what left the stock, and every rejected order wanted more than
	// what is left.
	f.setStock(3, 25)
	units := map[int64]int{}
	for order := int64(101); order <= 150; order++ {
		n := 1 + int(order%4)
		units[order] = n
		wg.Go(func() { f.publish(awaitingValidation(order, line(3, n))) })
	}
	wg.Wait()
	left, reserved := f.stock(3), 0
	answers := f.answers()
	for order := int64(101); order <= 150; order++ {
		as := answers[order]
		if len(as) != 1 {
			t.Fatalf("order %d has %d answers, want 1", order, len(as))
		}
		if as[0].Name == confirmedName {
			reserved += units[order]
		} else if units[order] <= left {
			t.Fatalf("order %d for %d units was rejected, yet %d units are left", order, units[order], left)
		}
	}
	if left < 0 || reserved != 25-left {
		t.Fatalf("confirmed %d units, %d left of 25", reserved, left)
	}
	var lines int
	if err := f.pool.QueryRow(f.ctx, `SELECT coalesce(sum(units), 0) FROM order_reservation_lines WHERE product_id = 3`).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	if lines != reserved {
		t.Fatalf("reservation lines hold %d units, confirmed %d", lines, reserved)
	}
}

func TestDuplicateEventsChangeStockOnce(t *testing.T) {
	f := newStockFixture(t)
	f.setStock(1, 10)
	f.setStock(2, 10)

	reserve := awaitingValidation(7, line(1, 2), line(2, 1),
		line(1, 1)) // duplicate product lines are merged: 3 units of 1
	var wg sync.WaitGroup
	for range 4 { // the same event (same Id) delivered four times, at once
		wg.Go(func() { f.publish(reserve) })
	}
	wg.Wait()
	f.publish(reserve)
	if f.stock(1) != 7 || f.stock(2) != 9 {
		t.Fatalf("after a duplicated reservation: stock %d and %d, want 7 and 9", f.stock(1), f.stock(2))
	}
	if as := f.answers()[7]; len(as) != 1 || as[0].Name != confirmedName {
		t.Fatalf("answers %+v, want one confirmation", as)
	}

	// Another request for the same order (a new event, not a redelivery)
	// reserves nothing more and confirms again.
	f.publish(awaitingValidation(7, line(1, 3), line(2, 1)))
	if as := f.answers()[7]; f.stock(1) != 7 || len(as) != 2 || as[1].Name != confirmedName {
		t.Fatalf("after a second request: stock %d, answers %+v; want 7 and two confirmations", f.stock(1), f.answers()[7])
	}

	cancel := cancelled(7)
	for range 3 {
		wg.Go(func() { f.publish(cancel) })
	}
	wg.Wait()
	f.publish(cancel)
	f.publish(cancelled(7)) // a second cancel event for the order
	if f.stock(1) != 10 || f.stock(2) != 10 {
		t.Fatalf("after duplicated cancels: stock %d and %d, want 10 and 10", f.stock(1), f.stock(2))
	}
	// Once released, a late request for the order reserves nothing.
	f.publish(awaitingValidation(7, line(1, 3)))
	if f.stock(1) != 10 || len(f.answers()[7]) != 2 {
		t.Fatalf("a request after the release: stock %d, %d answers; want 10 and still 2", f.stock(1), len(f.answers()[7]))
	}
}

func TestPaidMakesTheReservationFinal(t *testing.T) {
	f := newStockFixture(t)
	f.setStock(1, 10)
	f.publish(awaitingValidation(8, line(1, 4)))
	p := paid(8, events.OrderStockItem{ProductID: 1, Units: 4})
	f.publish(p)
	f.publish(p)
	f.publish(cancelled(8)) // too late: the units are sold
	var state string
	if err := f.pool.QueryRow(f.ctx, `SELECT state FROM order_reservations WHERE order_id = 8`).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "final" || f.stock(1) != 6 {
		t.Fatalf("state %q, stock %d; want final and 6", state, f.stock(1))
	}
}

func TestCancelBeforeAwaitingValidationReservesNothing(t *testing.T) {
	f := newStockFixture(t)
	f.setStock(1, 10)
	f.publish(cancelled(9))
	f.publish(awaitingValidation(9, line(1, 4)))
	if f.stock(1) != 10 {
		t.Fatalf("stock %d, want 10: the cancelled order reserved", f.stock(1))
	}
	if as := f.answers()[9]; len(as) != 0 {
		t.Fatalf("answers %+v, want none for an order cancelled first", as)
	}
}

func TestRejectionReservesNothingAndSaysWhichLineLacksStock(t *testing.T) {
	f := newStockFixture(t)
	f.setStock(1, 10)
	f.setStock(2, 5)
	f.publish(awaitingValidation(10,
		line(1, 6), line(1, 6), // 12 of 10
		line(2, 5),
		line(99999, 1)))
	as := f.answers()[10]
	if len(as) != 1 || as[0].Name != rejectedName {
		t.Fatalf("answers %+v, want one rejection", as)
	}
	want := map[int64]bool{1: false, 2: true, 99999: false}
	if len(as[0].OrderStockItems) != len(want) {
		t.Fatalf("lines %+v, want one per product %v", as[0].OrderStockItems, want)
	}
	for _, l := range as[0].OrderStockItems {
		if l.HasStock != want[l.ProductID] {
			t.Fatalf("lines %+v, want HasStock %v", as[0].OrderStockItems, want)
		}
	}
	if f.stock(1) != 10 || f.stock(2) != 5 {
		t.Fatalf("stock %d and %d after a rejection, want 10 and 5", f.stock(1), f.stock(2))
	}
	// A cancel of the rejected order gives nothing back.
	f.publish(cancelled(10))
	if f.stock(1) != 10 || f.stock(2) != 5 {
		t.Fatalf("stock %d and %d after cancelling a rejected order, want 10 and 5", f.stock(1), f.stock(2))
	}
}

// orderEvent is an order status event as ordering puts it on the wire,
// with the order's uuid (OrderGuid): unique across ordering's databases,
// where the order number is not.
type orderEvent struct {
	eventbus.IntegrationEvent
	name            string
	OrderID         int64                         `json:"OrderId"`
	OrderGUID       uuid.UUID                     `json:"OrderGuid"`
	OrderStatus     string                        `json:"OrderStatus"`
	OrderStockItems []events.PricedOrderStockItem `json:"OrderStockItems,omitempty"`
}

func (e orderEvent) EventName() string { return e.name }

func orderOf(number int64, guid uuid.UUID, status string, lines ...events.PricedOrderStockItem) orderEvent {
	return orderEvent{IntegrationEvent: eventbus.NewIntegrationEvent(), name: "OrderStatusChangedTo" + status + "IntegrationEvent",
		OrderID: number, OrderGUID: guid, OrderStatus: status, OrderStockItems: lines}
}

// Ordering's database is recreated (or restored): its order numbers start
// again at 1. The new order 1 is another order than the old order 1, and
// its events name it by its uuid: it reserves its own stock, its cancel
// releases only its own, and the old order's reservation is left as it is.
// Each answer names the order it answers by its uuid.
func TestARecreatedOrderingsOrderDoesNotMeetAnOldReservation(t *testing.T) {
	f := newStockFixture(t)
	f.setStock(1, 10)
	before, after := uuid.New(), uuid.New()

	f.publish(orderOf(1, before, "AwaitingValidation", line(1, 3)))
	if f.stock(1) != 7 {
		t.Fatalf("stock %d after the first order 1, want 7", f.stock(1))
	}
	f.publish(orderOf(1, after, "AwaitingValidation", line(1, 2)))
	if f.stock(1) != 5 {
		t.Fatalf("stock %d after the second order 1, want 5: it met the first one's reservation", f.stock(1))
	}
	f.publish(orderOf(1, after, "Cancelled"))
	if f.stock(1) != 7 {
		t.Fatalf("stock %d after the second order 1 was cancelled, want 7", f.stock(1))
	}
	f.publish(orderOf(1, before, "Paid", line(1, 3)))
	states := map[uuid.UUID]string{}
	rows, err := f.pool.Query(f.ctx, `SELECT order_guid, state FROM order_reservations WHERE order_id = 1`)
	if err != nil {
		t.Fatal(err)
	}
	var guid uuid.UUID
	var state string
	if _, err := pgx.ForEachRow(rows, []any{&guid, &state}, func() error { states[guid] = state; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || states[before] != "final" || states[after] != "released" {
		t.Fatalf("reservations of order 1: %v, want the first final, the second released", states)
	}
	var answered []uuid.UUID
	for _, a := range f.answers()[1] {
		if a.Name != confirmedName {
			t.Fatalf("answer %+v, want confirmations only", a)
		}
		answered = append(answered, a.OrderGUID)
	}
	if len(answered) != 2 || answered[0] != before || answered[1] != after {
		t.Fatalf("confirmations for %v, want one for %s, then one for %s", answered, before, after)
	}
}
