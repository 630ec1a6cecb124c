package outbox_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// orderPlaced is the event of these tests.
type orderPlaced struct {
	eventbus.IntegrationEvent
	OrderID int `json:"OrderId"`
}

func (orderPlaced) EventName() string { return "OrderPlacedTestEvent" }

func (orderPlaced) Publisher() string { return "tests" }

// orders is the business table of the producing service in these tests.
var orders = fstest.MapFS{"migrations/001_orders.sql": {Data: []byte(
	"CREATE TABLE orders (id bigint PRIMARY KEY);")}}

// placeOrder commits a business row and its event in one transaction, as a
// producing service does.
func placeOrder(ctx context.Context, pool *pgxpool.Pool, id int) (orderPlaced, error) {
	e := orderPlaced{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: id}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO orders (id) VALUES ($1)", id); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, e)
	})
	return e, err
}

// startRelay runs a relay until the test ends, and then waits for Run to
// return.
func startRelay(t testing.TB, pool *pgxpool.Pool, pub eventbus.Publisher, cfg outbox.RelayConfig) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	testkit.RunUntilCleanup(t, outbox.NewRelay(pool, pub, cfg).Run)
}

// pending counts the rows of the integration event log not yet published.
func pending(t testing.TB, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(),
		"SELECT count(*) FROM integration_event_log WHERE state = 'pending'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// recorder is a Publisher that keeps what it was given, in order. Fail,
// when set, decides whether a call fails instead.
type recorder struct {
	mu    sync.Mutex
	msgs  []eventbus.Message
	calls int
	Fail  func(call int, m eventbus.Message) error
}

func (r *recorder) Publish(_ context.Context, m eventbus.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.Fail != nil {
		if err := r.Fail(r.calls, m); err != nil {
			return err
		}
	}
	r.msgs = append(r.msgs, m)
	return nil
}

func (r *recorder) published() []eventbus.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]eventbus.Message(nil), r.msgs...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// batchRecorder is a recorder that is also an outbox.BatchPublisher.
type batchRecorder struct {
	recorder
	batches int
}

func (b *batchRecorder) PublishBatch(ctx context.Context, msgs []eventbus.Message) error {
	b.mu.Lock()
	b.batches++
	b.mu.Unlock()
	for _, m := range msgs {
		if err := b.Publish(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

var errBrokerDown = errors.New("broker down (test)")

func ids(msgs []eventbus.Message) []uuid.UUID {
	out := make([]uuid.UUID, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// testLogger logs nowhere, unless TEST_LOG is set (see
// testkit.ShowLogsIfAsked): then to standard error, where it shows even
// while a test hangs, at debug level.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(testkit.ShowLogsIfAsked(io.Discard), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
