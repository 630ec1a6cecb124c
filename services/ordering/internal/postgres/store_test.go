package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/eshop-go/eshop-go/services/ordering/internal/postgres"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func newStore(t testing.TB) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	pool := testkit.NewPool(t, postgres.Migrations)
	return postgres.NewStore(pool, statusEvent), pool
}

// statusChanged stands for the events package's status events, which the
// store never sees but through the function it is given: an event named
// after the order's new status.
type statusChanged struct {
	eventbus.IntegrationEvent
	OrderID int64
	Status  ordering.Status
}

func (e statusChanged) EventName() string {
	return "OrderStatusChangedTo" + string(e.Status) + "IntegrationEvent"
}

func statusEvent(c ordering.StatusChange) eventbus.Event {
	return statusChanged{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: c.OrderNumber, Status: c.Status}
}

func newOrder(t testing.TB, requestID uuid.UUID, buyer string) *ordering.Order {
	t.Helper()
	o, err := ordering.NewOrder(requestID, ordering.Buyer{ID: buyer, Name: "Buyer " + buyer},
		ordering.Address{Street: "1 Main St", City: "Springfield", State: "IL", Country: "US", ZipCode: "62701"},
		ordering.Card{PaymentToken: "tok.en", TypeID: 2, Last4: "1881", HolderName: "Alice", Expiration: time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC)},
		[]ordering.Item{
			{ProductID: 1, ProductName: "Mug", UnitPrice: money.MustParse("8.50"), Units: 2, PictureURL: "1.png"},
			{ProductID: 2, ProductName: "T-Shirt", UnitPrice: money.MustParse("0.10"), Units: 3},
		}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func create(t testing.TB, store *postgres.Store, pool *pgxpool.Pool, o *ordering.Order) bool {
	t.Helper()
	var created bool
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		var err error
		created, err = store.Create(context.Background(), tx, o)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// outboxEvents counts the stored events by name.
func outboxEvents(t testing.TB, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT event_name, count(*) FROM integration_event_log GROUP BY event_name`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateOncePerRequestID(t *testing.T) {
	store, pool := newStore(t)
	ctx := context.Background()
	request := uuid.New()

	first := newOrder(t, request, "b1")
	if !create(t, store, pool, first) {
		t.Fatal("the first order of a request was not created")
	}
	if create(t, store, pool, newOrder(t, request, "b1")) {
		t.Fatal("a second order was created for the same request id")
	}

	// Racing deliveries of one request still make one order.
	var wg sync.WaitGroup
	raced := uuid.New()
	results := make(chan bool, 8)
	for range 8 {
		wg.Go(func() { results <- create(t, store, pool, newOrder(t, raced, "b2")) })
	}
	wg.Wait()
	close(results)
	wins := 0
	for created := range results {
		if created {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d of 8 concurrent deliveries created an order, want 1", wins)
	}

	got, err := store.Get(ctx, first.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ordering.Submitted || got.Card.PaymentToken != "tok.en" || got.Card.Last4 != "1881" || !got.Card.Expiration.Equal(time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC)) || len(got.Items) != 2 ||
		!got.Total().Equal(money.MustParse("17.30")) || got.Buyer.Name != "Buyer b1" || got.Address.ZipCode != "62701" {
		t.Fatalf("loaded order = %+v", got)
	}
	if n := outboxEvents(t, pool)["OrderStatusChangedToSubmittedIntegrationEvent"]; n != 2 {
		t.Fatalf("%d Submitted events stored, want 2 (one per order)", n)
	}
	list, err := store.ListByBuyer(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !list[0].Total.Equal(money.MustParse("17.30")) {
		t.Fatalf("list = %+v", list)
	}
}

func TestChangeSavesStatusWithItsEvent(t *testing.T) {
	store, pool := newStore(t)
	ctx := context.Background()
	o := newOrder(t, uuid.New(), "b1")
	create(t, store, pool, o)

	if _, err := store.Change(ctx, o.Number, (*ordering.Order).Ship); !errors.Is(err, ordering.ErrIllegalTransition) {
		t.Fatalf("ship a submitted order: err = %v", err)
	}
	if _, err := store.Change(ctx, 999999, (*ordering.Order).Cancel); !errors.Is(err, ordering.ErrNotFound) {
		t.Fatalf("cancel an unknown order: err = %v", err)
	}
	changed, err := store.Change(ctx, o.Number, (*ordering.Order).Cancel)
	if err != nil || changed.Status != ordering.Cancelled {
		t.Fatalf("cancel: %v, %+v", err, changed)
	}
	// Cancelling again changes nothing and stores no second event.
	if _, err := store.Change(ctx, o.Number, (*ordering.Order).Cancel); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, o.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ordering.Cancelled || got.Description == "" {
		t.Fatalf("stored order = %+v", got)
	}
	stored := outboxEvents(t, pool)
	if stored["OrderStatusChangedToCancelledIntegrationEvent"] != 1 || stored["OrderStatusChangedToShippedIntegrationEvent"] != 0 {
		t.Fatalf("stored events = %v", stored)
	}
}

// Two grace-period workers on one database, racing over many orders: each
// order is moved by exactly one of them, and announced exactly once.
func TestAwaitValidationMovesEachOrderOnceWithTwoWorkers(t *testing.T) {
	store, pool := newStore(t)
	ctx := context.Background()
	const orders = 300
	for i := range orders {
		create(t, store, pool, newOrder(t, uuid.New(), "b"+string(rune('a'+i%5))))
	}
	// A second store on its own pool stands for a second process.
	otherPool := testkit.OpenPool(t, pool.Config().ConnString())
	other := postgres.NewStore(otherPool, statusEvent)

	var mu sync.Mutex
	movedBy := map[int64]int{}
	var wg sync.WaitGroup
	for _, s := range []*postgres.Store{store, other} {
		wg.Go(func() {
			for {
				// Small batches make the workers interleave many times.
				moved, err := s.AwaitValidation(ctx, 0, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(moved) == 0 {
					return
				}
				mu.Lock()
				for _, n := range moved {
					movedBy[n]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	if len(movedBy) != orders {
		t.Fatalf("%d orders moved, want %d", len(movedBy), orders)
	}
	for n, times := range movedBy {
		if times != 1 {
			t.Fatalf("order %d moved %d times", n, times)
		}
	}
	if n := outboxEvents(t, pool)["OrderStatusChangedToAwaitingValidationIntegrationEvent"]; n != orders {
		t.Fatalf("%d AwaitingValidation events stored, want %d", n, orders)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE status <> 'AwaitingValidation'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d orders not AwaitingValidation (%v)", left, err)
	}
}

func TestAwaitValidationWaitsForTheGracePeriod(t *testing.T) {
	store, pool := newStore(t)
	o := newOrder(t, uuid.New(), "b1")
	create(t, store, pool, o)
	moved, err := store.AwaitValidation(context.Background(), time.Hour, 10)
	if err != nil || len(moved) != 0 {
		t.Fatalf("an order inside its grace period moved: %v %v", moved, err)
	}
	moved, err = store.AwaitValidation(context.Background(), 0, 10)
	if err != nil || len(moved) != 1 || moved[0] != o.Number {
		t.Fatalf("moved = %v, %v", moved, err)
	}
}
