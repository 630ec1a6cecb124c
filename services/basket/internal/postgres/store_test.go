package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/eshop-go/eshop-go/services/basket/internal/postgres"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// newStore returns a store on a fresh, migrated database, which hands
// checkouts over with a testEvent.
func newStore(t testing.TB) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	pool := testkit.NewPool(t, postgres.Migrations)
	return postgres.NewStore(pool, accepted), pool
}

// accepted is the checkout event of the store's tests.
func accepted(_ basket.Checkout, b basket.Basket) eventbus.Event {
	return testEvent{eventbus.NewIntegrationEvent(), b.BuyerID, len(b.Items)}
}

func line(product int64, price string) basket.Item {
	return basket.Item{ProductID: product, ProductName: "product", UnitPrice: money.MustParse(price), Quantity: 1}
}

// checkPrices fails the test unless the buyer's lines are at want, in
// order, each as "unit price/old unit price" ("-" for none), and reports
// whether they are.
func checkPrices(t *testing.T, s *postgres.Store, buyer string, want ...string) bool {
	t.Helper()
	b, err := s.Basket(context.Background(), buyer)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(b.Items))
	for i, it := range b.Items {
		old := "-"
		if it.OldUnitPrice != nil {
			old = it.OldUnitPrice.String()
		}
		got[i] = it.UnitPrice.String() + "/" + old
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s's lines: %v, want %v", buyer, got, want)
		return false
	}
	return true
}

func mustReplace(t *testing.T, s *postgres.Store, buyer string, items ...basket.Item) {
	t.Helper()
	if _, err := s.Replace(context.Background(), buyer, items); err != nil {
		t.Fatal(err)
	}
}

// change applies c in its own transaction, as the handler does in the
// inbox's: it locks the product's price, asks the domain what the change
// does and applies that.
func change(t *testing.T, s *postgres.Store, pool *pgxpool.Pool, c basket.PriceChange) int64 {
	t.Helper()
	var n int64
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		var err error
		n, err = applyChange(context.Background(), s, tx, c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// applyChange applies c in tx and returns how many lines moved.
func applyChange(ctx context.Context, s *postgres.Store, tx pgx.Tx, c basket.PriceChange) (int64, error) {
	known, err := s.LockProductPrice(ctx, tx, c.ProductID)
	if err != nil {
		return 0, err
	}
	return s.FollowPrice(ctx, tx, c.Follow(known))
}

func priceChange(product int64, oldPrice, newPrice string, version int64) basket.PriceChange {
	return basket.PriceChange{ProductID: product, OldPrice: money.MustParse(oldPrice), NewPrice: money.MustParse(newPrice), Version: version}
}

func TestReplaceGetDelete(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	b, err := s.Basket(ctx, "nobody")
	if err != nil || len(b.Items) != 0 || b.BuyerID != "nobody" {
		t.Fatalf("unknown buyer: %+v %v, want an empty basket", b, err)
	}
	mustReplace(t, s, "alice", line(2, "5.00"), line(1, "10.50"), line(2, "5.00"))
	b, err = s.Basket(ctx, "alice")
	if err != nil || len(b.Items) != 3 {
		t.Fatalf("basket %+v %v, want 3 lines", b, err)
	}
	if b.Items[0].ProductID != 2 || b.Items[1].ProductID != 1 || b.Items[1].UnitPrice.String() != "10.50" {
		t.Fatalf("lines %+v are not in the order they were put", b.Items)
	}
	mustReplace(t, s, "alice", line(3, "1.00"))
	if b, _ = s.Basket(ctx, "alice"); len(b.Items) != 1 || b.Items[0].ProductID != 3 {
		t.Fatalf("after a second PUT: %+v, want only product 3", b.Items)
	}
	if err := s.Delete(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if b, _ = s.Basket(ctx, "alice"); len(b.Items) != 0 {
		t.Fatalf("after delete: %+v", b.Items)
	}
	if err := s.Delete(ctx, "alice"); err != nil {
		t.Fatalf("deleting a missing basket: %v", err)
	}
}

// The rule of a price change, case by case. Product 7's catalog prices are
// v1 10.00, v2 12.00, v3 15.00.
func TestPriceChangeInOrder(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	mustReplace(t, s, "a", line(7, "10.00"))
	mustReplace(t, s, "b", line(7, "10.00"), line(8, "10.00"))
	if n := change(t, s, pool, priceChange(7, "10.00", "12.00", 2)); n != 2 {
		t.Fatalf("v2 updated %d lines, want 2 (one per basket)", n)
	}
	change(t, s, pool, priceChange(7, "12.00", "15.00", 3))
	checkPrices(t, s, "a", "15.00/12.00")
	checkPrices(t, s, "b", "15.00/12.00", "10.00/-") // another product's line stays
}

func TestPriceChangeOutOfOrderEndsAtTheLastPrice(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	mustReplace(t, s, "a", line(7, "10.00"))
	// v3 arrives first: the line is at 10, not at v3's old price 12, so it
	// waits; v2 (10 → 12) then moves it straight to the latest price, 15,
	// and it shows the price before 15, as if the changes came in order.
	change(t, s, pool, priceChange(7, "12.00", "15.00", 3))
	checkPrices(t, s, "a", "10.00/-") // after v3 alone
	change(t, s, pool, priceChange(7, "10.00", "12.00", 2))
	checkPrices(t, s, "a", "15.00/12.00") // after v3 then v2, never at the stale 12.00
}

func TestPriceChangeStaleEventAfterNewerOneChangesNothing(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	change(t, s, pool, priceChange(7, "9.00", "10.00", 1))
	// The buyer put the product at the known catalog price: the line is
	// tracked at v1 and follows v3 even though v3's old price (12) is not
	// the line's.
	mustReplace(t, s, "a", line(7, "10.00"))
	change(t, s, pool, priceChange(7, "12.00", "15.00", 3))
	change(t, s, pool, priceChange(7, "10.00", "12.00", 2))
	checkPrices(t, s, "a", "15.00/12.00")
}

func TestPriceChangeDuplicateChangesNothing(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	mustReplace(t, s, "a", line(7, "10.00"))
	change(t, s, pool, priceChange(7, "10.00", "12.00", 2))
	if n := change(t, s, pool, priceChange(7, "10.00", "12.00", 2)); n != 0 {
		t.Fatalf("a duplicate updated %d lines", n)
	}
	// Even an unversioned duplicate: the line is at 12, not at 10.
	if n := change(t, s, pool, priceChange(7, "10.00", "12.00", 0)); n != 0 {
		t.Fatalf("an unversioned duplicate updated %d lines", n)
	}
	checkPrices(t, s, "a", "12.00/10.00")
}

func TestPriceChangeLeavesCustomPricesAlone(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	change(t, s, pool, priceChange(7, "9.00", "10.00", 1))
	// 8.00 never was a catalog price of product 7: the line is not tracked.
	mustReplace(t, s, "a", line(7, "8.00"), line(7, "10.00"))
	change(t, s, pool, priceChange(7, "10.00", "12.00", 2))
	checkPrices(t, s, "a", "8.00/-", "12.00/10.00") // the custom price stays, the catalog price moves
}

func TestPriceChangeWithoutVersionIsTheEShopRule(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	mustReplace(t, s, "a", line(7, "10.00"), line(7, "11.00"), line(9, "10.00"))
	if n := change(t, s, pool, priceChange(7, "10.00", "12.00", 0)); n != 1 {
		t.Fatalf("updated %d lines, want 1", n)
	}
	checkPrices(t, s, "a", "12.00/10.00", "11.00/-", "10.00/-")
}

func TestCheckoutRecordsTheRequestOnce(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustReplace(t, s, "alice", line(7, "10.00"))
	c := basket.Checkout{BuyerID: "alice", RequestID: uuid.New()}

	replayed, err := s.Checkout(ctx, c)
	if err != nil || replayed {
		t.Fatalf("first checkout: replayed %v, %v", replayed, err)
	}
	replayed, err = s.Checkout(ctx, c)
	if err != nil || !replayed {
		t.Fatalf("second checkout: replayed %v, %v; want a replay", replayed, err)
	}
	other := c
	other.BuyerID = "bob"
	mustReplace(t, s, "bob", line(7, "10.00"))
	if _, err := s.Checkout(ctx, other); !errors.Is(err, basket.ErrRequestIDTaken) {
		t.Fatalf("another buyer with the same request id: %v, want ErrRequestIDTaken", err)
	}
	empty := basket.Checkout{BuyerID: "carol", RequestID: uuid.New()}
	if _, err := s.Checkout(ctx, empty); !errors.Is(err, basket.ErrEmptyBasket) {
		t.Fatalf("empty basket: %v, want ErrEmptyBasket", err)
	}

	rows, err := pool.Query(ctx, `SELECT event_name, content::text FROM integration_event_log`)
	if err != nil {
		t.Fatal(err)
	}
	type logged struct{ Name, Content string }
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[logged])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "TestEvent" {
		t.Fatalf("outbox holds %+v, want exactly one TestEvent", got)
	}
	var body testEvent
	if err := json.Unmarshal([]byte(got[0].Content), &body); err != nil || body.Buyer != "alice" || body.Lines != 1 {
		t.Fatalf("outbox event %s (%v), want alice's one line", got[0].Content, err)
	}
	// The basket stays until the order starts.
	if b, _ := s.Basket(ctx, "alice"); len(b.Items) != 1 {
		t.Fatalf("basket after checkout: %+v", b.Items)
	}
}

type testEvent struct {
	eventbus.IntegrationEvent
	Buyer string
	Lines int
}

func (testEvent) EventName() string { return "TestEvent" }

// Concurrent, shuffled changes of one product (as several consumers of the
// queue would run them) leave every line at the last catalog price.
func TestConcurrentPriceChangesEndAtTheLastPrice(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	const versions = 20
	price := func(v int) string { return fmt.Sprintf("%d.00", 10+v) }
	for i := range 10 {
		mustReplace(t, s, fmt.Sprintf("buyer-%d", i), line(7, price(0)), line(8, price(0)))
	}
	order := rand.Perm(versions)
	var wg sync.WaitGroup
	errs := make(chan error, versions)
	for _, v := range order {
		wg.Go(func() {
			c := priceChange(7, price(v), price(v+1), int64(v+1))
			errs <- pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
				_, err := applyChange(context.Background(), s, tx, c)
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		// Product 7 at the last price, was the one before; product 8 unmoved.
		if !checkPrices(t, s, fmt.Sprintf("buyer-%d", i), price(versions)+"/"+price(versions-1), price(0)+"/-") {
			t.Logf("the changes were applied in the order %v", order)
		}
	}
}

// A change that waits for a newer change of the same product to commit must
// see that newer price, not the one from before it waited.
func TestPriceChangeWaitingForANewerOneSeesIt(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustReplace(t, s, "a", line(7, "10.00")) // before catalog is heard of: untracked
	change(t, s, pool, priceChange(7, "9.00", "10.00", 1))

	newer, err := pool.Begin(ctx) // v3 11 → 12, not committed yet
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Rollback(ctx)
	if _, err := applyChange(ctx, s, newer, priceChange(7, "11.00", "12.00", 3)); err != nil {
		t.Fatal(err)
	}
	older := make(chan error, 1) // v2 10 → 11 arrives meanwhile and waits
	go func() {
		older <- pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := applyChange(ctx, s, tx, priceChange(7, "10.00", "11.00", 2))
			return err
		})
	}()
	waitForLockWait(t, pool)
	if err := newer.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-older; err != nil {
		t.Fatal(err)
	}
	checkPrices(t, s, "a", "12.00/11.00") // else the waiting change used a stale latest price
}

// waitForLockWait waits until a session of the test's database waits for
// a lock.
func waitForLockWait(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for range 1000 {
		var n int
		if err := pool.QueryRow(context.Background(), `
			SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("gave up waiting for the second change to wait for the first")
}

// Concurrent checkouts with one request id (a client retrying before the
// first answer came) store one event.
func TestConcurrentCheckoutsWithOneRequestIDStoreOneEvent(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustReplace(t, s, "alice", line(7, "10.00"))
	c := basket.Checkout{BuyerID: "alice", RequestID: uuid.New()}
	const tries = 8
	var wg sync.WaitGroup
	results := make(chan error, tries)
	var firsts atomic.Int32
	for range tries {
		wg.Go(func() {
			replayed, err := s.Checkout(ctx, c)
			if err == nil && !replayed {
				firsts.Add(1)
			}
			results <- err
		})
	}
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM integration_event_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 || firsts.Load() != 1 {
		t.Fatalf("%d events stored, %d checkouts not replays; want 1 and 1", n, firsts.Load())
	}
}

func TestPurgeCheckoutRequestsForgetsOnlyOldOnes(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustReplace(t, s, "alice", line(7, "10.00"))
	old, recent := uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{old, recent} {
		if _, err := s.Checkout(ctx, basket.Checkout{BuyerID: "alice", RequestID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE checkout_requests SET accepted_at = now() - interval '8 days' WHERE request_id = $1`, old); err != nil {
		t.Fatal(err)
	}
	n, err := s.PurgeCheckoutRequests(ctx, 7*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want the old one", n, err)
	}
	if replayed, err := s.Checkout(ctx, basket.Checkout{BuyerID: "alice", RequestID: recent}); err != nil || !replayed {
		t.Fatalf("the recent request id was forgotten: replayed %v, %v", replayed, err)
	}
}
