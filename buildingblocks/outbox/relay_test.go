package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestRolledBackTransactionPublishesNothing(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, orders)

	rolledBack := orderPlaced{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: 1}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO orders (id) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Add(ctx, tx, rolledBack); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// A committed event after it: once the relay has published this one,
	// it has looked at everything before it.
	committed, err := placeOrder(ctx, pool, 2)
	if err != nil {
		t.Fatal(err)
	}

	pub := &recorder{}
	startRelay(t, pool, pub, outbox.RelayConfig{})
	testkit.WaitFor(t, "the committed event", func() bool { return pub.count() > 0 })
	if got := ids(pub.published()); !slices.Equal(got, []uuid.UUID{committed.ID}) {
		t.Fatalf("published %v, want only the committed event %v (rolled back: %v)", got, committed.ID, rolledBack.ID)
	}
}

func TestTheRelayPublishesTheMessageAsStored(t *testing.T) {
	ctx := eventbus.WithCorrelationID(context.Background(), "req-42")
	pool := testkit.NewPool(t, orders)

	e := orderPlaced{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: 7}
	raw := eventbus.Message{
		ID: uuid.New(), Name: "RawTestEvent", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Body:  []byte(`{"Id":"x",  "Kept":"as is"}`), // not re-encoded: spacing stays
		AppID: "other-app", CorrelationID: "corr-raw", Headers: map[string]string{"traceparent": "00-abc-def-01"},
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := outbox.Add(ctx, tx, e); err != nil {
			return err
		}
		return outbox.AddMessages(ctx, tx, raw)
	})
	if err != nil {
		t.Fatal(err)
	}

	pub := &recorder{}
	startRelay(t, pool, pub, outbox.RelayConfig{AppID: "ordering"})
	testkit.WaitFor(t, "two events", func() bool { return pub.count() == 2 })
	got := pub.published()

	want, _ := eventbus.Encode(e)
	want.AppID, want.CorrelationID = "ordering", "req-42"
	if !sameMessage(got[0], want) {
		t.Errorf("typed event published as\n%+v\nwant\n%+v", got[0], want)
	}
	if !sameMessage(got[1], raw) {
		t.Errorf("raw message published as\n%+v\nwant\n%+v", got[1], raw)
	}
	var decoded orderPlaced
	if err := json.Unmarshal(got[0].Body, &decoded); err != nil || decoded.OrderID != 7 || decoded.ID != e.ID {
		t.Errorf("body %s does not decode to the event (%v)", got[0].Body, err)
	}
}

// sameMessage compares two messages; times to the microsecond, which is
// what PostgreSQL keeps (AMQP's timestamp keeps seconds).
func sameMessage(a, b eventbus.Message) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Time.Equal(b.Time.Truncate(time.Microsecond)) && string(a.Body) == string(b.Body) &&
		a.AppID == b.AppID && a.CorrelationID == b.CorrelationID && fmt.Sprint(a.Headers) == fmt.Sprint(b.Headers)
}

func TestOneRelayPublishesInCommitOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		pub  interface {
			eventbus.Publisher
			published() []eventbus.Message
		}
	}{
		{"Publisher", &recorder{}},
		{"BatchPublisher", &batchRecorder{}},
		// Failures in between are retried from the first unconfirmed
		// message, so what was confirmed stays in commit order.
		{"Publisher failing now and then", &recorder{Fail: func(call int, _ eventbus.Message) error {
			if call%5 == 0 {
				return errBrokerDown
			}
			return nil
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			pool := testkit.NewPool(t, orders)
			// Small batches, and the relay running while the producer
			// commits, so that the order is kept across many claims.
			startRelay(t, pool, tc.pub, outbox.RelayConfig{BatchSize: 7, RetryBackoff: time.Millisecond, MaxRetryBackoff: time.Millisecond})

			var committed []uuid.UUID
			next := 0
			for len(committed) < 1000 {
				// One to three events per transaction.
				var events []eventbus.Event
				for range 1 + rand.IntN(3) {
					next++
					e := orderPlaced{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: next}
					events = append(events, e)
					committed = append(committed, e.ID)
				}
				if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return outbox.Add(ctx, tx, events...) }); err != nil {
					t.Fatal(err)
				}
			}
			testkit.WaitFor(t, "every event", func() bool { return len(tc.pub.published()) >= len(committed) })
			if got := ids(tc.pub.published()); !slices.Equal(got, committed) {
				t.Fatalf("published order differs from commit order (%d published, %d committed)", len(got), len(committed))
			}
		})
	}
}

func TestTheRelayRetriesUntilThePublisherTakesTheEvent(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, orders)
	e, err := placeOrder(ctx, pool, 1)
	if err != nil {
		t.Fatal(err)
	}
	down := make(chan struct{})
	pub := &recorder{Fail: func(int, eventbus.Message) error {
		select {
		case <-down:
			return nil
		default:
			return errBrokerDown
		}
	}}
	startRelay(t, pool, pub, outbox.RelayConfig{RetryBackoff: time.Millisecond, MaxRetryBackoff: 5 * time.Millisecond})

	// While it fails, the row says why and counts the attempts.
	testkit.WaitFor(t, "failed attempts recorded", func() bool {
		var attempts int
		var lastError *string
		err := pool.QueryRow(ctx, "SELECT attempts, last_error FROM integration_event_log WHERE event_id = $1", e.ID).Scan(&attempts, &lastError)
		return err == nil && attempts >= 3 && lastError != nil && *lastError != ""
	})
	if n := pending(t, pool); n != 1 {
		t.Fatalf("%d pending rows while failing, want 1", n)
	}
	close(down)
	testkit.WaitFor(t, "the event published after the outage", func() bool { return pub.count() == 1 })
	testkit.WaitFor(t, "the row marked published", func() bool {
		var state string
		var lastError *string
		err := pool.QueryRow(ctx, "SELECT state, last_error FROM integration_event_log WHERE event_id = $1", e.ID).Scan(&state, &lastError)
		return err == nil && state == "published" && lastError == nil
	})
}

func TestASleepingRelayIsWokenByEachCommit(t *testing.T) {
	for _, relays := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d relays", relays), func(t *testing.T) { wokenByEachCommit(t, relays) })
	}
}

func wokenByEachCommit(t *testing.T, relays int) {
	ctx := context.Background()
	pool := testkit.NewPool(t, orders)
	pub := &recorder{}
	// No sweep within the test: an event whose commit did not wake a relay
	// would never be published, and the wait below would fail. (With two,
	// one sleeps and the other waits for its turn to.)
	for range relays {
		startRelay(t, pool, pub, outbox.RelayConfig{SweepInterval: time.Hour})
	}

	// Producers one after the other with pauses, so that the relay goes
	// to sleep and must be woken again and again; and two at once, so
	// that commits race with the relay going to sleep.
	const events = 300
	errs := make(chan error, 2)
	for p := range 2 {
		go func() {
			for i := range events / 2 {
				if _, err := placeOrder(ctx, pool, p*events+i); err != nil {
					errs <- err
					return
				}
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	testkit.WaitFor(t, "every event published without a sweep", func() bool { return pub.count() == events })
}

func TestRowsOfADeadRelayArePublishedByAnother(t *testing.T) {
	ctx := context.Background()
	dbURL := testkit.NewDatabase(t)
	deadPool := testkit.PoolFor(t, withAppName(t, dbURL, "dying_relay"), orders)
	pool := testkit.PoolFor(t, dbURL, orders)
	const events = 50
	for i := range events {
		if _, err := placeOrder(ctx, pool, i); err != nil {
			t.Fatal(err)
		}
	}

	// The first relay claims a batch and hangs in Publish; its rows stay
	// locked until its sessions die.
	hang := &hangingPublisher{claimed: make(chan struct{})}
	startRelay(t, deadPool, hang, outbox.RelayConfig{PublishTimeout: time.Hour})
	select {
	case <-hang.claimed:
	case <-time.After(testkit.Patience):
		t.Fatal("the first relay never claimed")
	}

	// A second relay cannot take them while the first holds them ...
	pub := &recorder{}
	startRelay(t, pool, pub, outbox.RelayConfig{SweepInterval: 20 * time.Millisecond})
	// ... and gets all of them once the first one's sessions are gone, as
	// when its process is killed.
	terminate(t, pool, "dying_relay")
	testkit.WaitFor(t, "the dead relay's events", func() bool { return pub.count() == events })
}

func TestPublishedRowsArePurgedAfterRetention(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, orders)
	for i := range 20 {
		if _, err := placeOrder(ctx, pool, i); err != nil {
			t.Fatal(err)
		}
	}
	pub := &recorder{}
	startRelay(t, pool, pub, outbox.RelayConfig{Retention: time.Millisecond, SweepInterval: 20 * time.Millisecond})
	testkit.WaitFor(t, "the published rows purged", func() bool {
		var n int
		return pool.QueryRow(ctx, "SELECT count(*) FROM integration_event_log").Scan(&n) == nil && n == 0
	})
	if pub.count() != 20 {
		t.Fatalf("published %d, want 20", pub.count())
	}
}

// withAppName returns dbURL with an application_name, by which terminate
// finds its sessions.
func withAppName(t testing.TB, dbURL, name string) string {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.ConnString() + "&application_name=" + name
}

// terminate ends every session of this database with that application_name.
func terminate(t testing.TB, pool *pgxpool.Pool, appName string) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, appName)
	if err != nil {
		t.Fatal(err)
	}
}

// hangingPublisher never confirms: it stands for a relay process that hangs
// in Publish until it is stopped.
type hangingPublisher struct {
	claimed chan struct{}
	once    sync.Once
}

func (h *hangingPublisher) Publish(ctx context.Context, _ eventbus.Message) error {
	h.once.Do(func() { close(h.claimed) })
	<-ctx.Done()
	return ctx.Err()
}

func TestTheRelaySurvivesLosingItsDatabaseSessions(t *testing.T) {
	ctx := context.Background()
	dbURL := testkit.NewDatabase(t)
	pool := testkit.PoolFor(t, dbURL, orders)
	relayPool := testkit.PoolFor(t, withAppName(t, dbURL, "cut_relay"), orders)
	pub := &recorder{}
	startRelay(t, relayPool, pub, outbox.RelayConfig{SweepInterval: 50 * time.Millisecond, RetryBackoff: time.Millisecond})

	for round := range 3 {
		// Sleeping (holding its listening session) or not, the relay loses
		// every session, and must still publish what comes next. (A cut can
		// also fall between publishing and marking the previous event: then
		// that one goes out again, which is allowed.)
		terminate(t, pool, "cut_relay")
		e, err := placeOrder(ctx, pool, round)
		if err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, fmt.Sprintf("event %d published and marked after the sessions were cut", round), func() bool {
			state, _, _ := rowState(t, pool, e.ID)
			return state == "published" && slices.Contains(ids(pub.published()), e.ID)
		})
	}
}

func TestWhatWasConfirmedBeforeAFailureIsNotPublishedAgain(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, orders)
	const events = 40
	for i := range events {
		if _, err := placeOrder(ctx, pool, i); err != nil {
			t.Fatal(err)
		}
	}
	// Every fourth call fails: no batch of 40 ever goes through whole, so
	// the relay gets there only by keeping what was confirmed.
	pub := &recorder{Fail: func(call int, _ eventbus.Message) error {
		if call%4 == 0 {
			return errBrokerDown
		}
		return nil
	}}
	startRelay(t, pool, pub, outbox.RelayConfig{RetryBackoff: time.Millisecond, MaxRetryBackoff: time.Millisecond})
	testkit.WaitFor(t, "every row marked published", func() bool { return pending(t, pool) == 0 })
	seen := map[uuid.UUID]int{}
	for _, m := range pub.published() {
		seen[m.ID]++
	}
	if len(seen) != events {
		t.Fatalf("%d distinct events published, want %d", len(seen), events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("event %s published %d times, though the first was confirmed", id, n)
		}
	}
}
