package outbox_test

// End to end through the real broker: producer database → relay → RabbitMQ
// → a consumer that handles events through the inbox in its own database.

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// newBus starts a bus for one service of this test; closed when it ends.
func newBus(t testing.TB, cfg rabbitmq.Config) *rabbitmq.Bus {
	t.Helper()
	cfg.RetryBackoff = 5 * time.Millisecond
	cfg.Logger = testLogger()
	return testkit.StartBus(t, cfg)
}

// shipments is the consuming service's business table.
var shipments = fstest.MapFS{"migrations/001_shipments.sql": {Data: []byte(
	"CREATE TABLE shipments (order_id bigint PRIMARY KEY, times_shipped int NOT NULL);")}}

// consumer is a service that consumes orderPlaced through the inbox: its
// effect is a shipment per order, and it counts every delivery.
type consumer struct {
	pool *pgxpool.Pool

	// failFirst makes the handler fail, after its effect, on the first
	// delivery of every event.
	failFirst bool

	mu         sync.Mutex
	deliveries map[uuid.UUID]int
	order      []uuid.UUID // first deliveries, in order
}

func startConsumer(t testing.TB, cfg rabbitmq.Config) *consumer {
	t.Helper()
	return startConsumerOf(t, cfg, &consumer{})
}

func startConsumerOf(t testing.TB, cfg rabbitmq.Config, c *consumer) *consumer {
	t.Helper()
	c.pool = testkit.NewPool(t, shipments)
	c.deliveries = map[uuid.UUID]int{}
	bus := newBus(t, cfg)
	ship := inbox.Handler(c.pool, "test.ship_order", func(ctx context.Context, tx pgx.Tx, e orderPlaced) error {
		_, err := tx.Exec(ctx, `INSERT INTO shipments (order_id, times_shipped) VALUES ($1, 1)
			ON CONFLICT (order_id) DO UPDATE SET times_shipped = shipments.times_shipped + 1`, e.OrderID)
		if err == nil && c.failFirst && c.delivered(e.ID) == 1 {
			return errors.New("handler fails on the first delivery (test)")
		}
		return err
	})
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	_, err := eventbus.Subscribe(ctx, bus, func(ctx context.Context, e orderPlaced) error {
		c.mu.Lock()
		c.deliveries[e.ID]++
		if c.deliveries[e.ID] == 1 {
			c.order = append(c.order, e.ID)
		}
		c.mu.Unlock()
		return ship(ctx, e)
	})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return c
}

func (c *consumer) delivered(id uuid.UUID) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deliveries[id]
}

func (c *consumer) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.deliveries)
}

func (c *consumer) timesShipped(t testing.TB, orderID int) int {
	t.Helper()
	var n int
	err := c.pool.QueryRow(context.Background(),
		"SELECT coalesce((SELECT times_shipped FROM shipments WHERE order_id = $1), 0)", orderID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func rowState(t testing.TB, pool *pgxpool.Pool, id uuid.UUID) (state string, attempts int, lastError string) {
	t.Helper()
	var le *string
	err := pool.QueryRow(context.Background(),
		"SELECT state, attempts, last_error FROM integration_event_log WHERE event_id = $1", id).Scan(&state, &attempts, &le)
	if err != nil {
		t.Fatal(err)
	}
	if le != nil {
		lastError = *le
	}
	return state, attempts, lastError
}

func TestAnEventCommittedWhileTheBrokerIsUnreachableIsDeliveredAfterwards(t *testing.T) {
	ctx := context.Background()
	exchange, prefix := testkit.Broker(t)
	c := startConsumer(t, rabbitmq.Config{Exchange: exchange, Queue: prefix + "_shipping"})

	// The producer reaches the broker through a proxy that the test cuts.
	proxy := testkit.NewBrokerProxy(t)
	pool := testkit.NewPool(t, orders)
	bus := newBus(t, rabbitmq.Config{URL: proxy.URL(testkit.RabbitURL()), Exchange: exchange, AppID: prefix + "_ordering"})
	startRelay(t, pool, bus, outbox.RelayConfig{
		PublishTimeout: 200 * time.Millisecond, RetryBackoff: 10 * time.Millisecond, MaxRetryBackoff: 100 * time.Millisecond,
	})

	proxy.Cut()
	e, err := placeOrder(ctx, pool, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The relay tries during the outage, and fails.
	testkit.WaitFor(t, "failed publish attempts during the outage", func() bool {
		_, attempts, lastError := rowState(t, pool, e.ID)
		return attempts >= 2 && lastError != ""
	})
	if n := c.delivered(e.ID); n != 0 {
		t.Fatalf("delivered %d times while the producer could not reach the broker", n)
	}

	proxy.Restore()
	testkit.WaitFor(t, "the event handled after the broker came back", func() bool { return c.timesShipped(t, 1) == 1 })
	testkit.WaitFor(t, "the row marked published", func() bool {
		state, _, _ := rowState(t, pool, e.ID)
		return state == "published"
	})
}

func TestARelayKilledBetweenPublishAndMarkCausesARedeliveryWithoutSecondEffect(t *testing.T) {
	ctx := context.Background()
	exchange, prefix := testkit.Broker(t)
	c := startConsumer(t, rabbitmq.Config{Exchange: exchange, Queue: prefix + "_shipping"})
	dbURL := testkit.NewDatabase(t)
	pool := testkit.PoolFor(t, dbURL, orders)
	bus := newBus(t, rabbitmq.Config{Exchange: exchange, AppID: prefix + "_ordering"})

	e, err := placeOrder(ctx, pool, 1)
	if err != nil {
		t.Fatal(err)
	}

	// The first relay dies right after the broker confirmed: its database
	// sessions end before it can mark the row published.
	killedPool := testkit.PoolFor(t, withAppName(t, dbURL, "killed_relay"), orders)
	relayCtx, kill := context.WithCancel(ctx)
	dying := &hookPublisher{Publisher: bus, after: func() {
		terminate(t, pool, "killed_relay")
		kill()
	}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		outbox.NewRelay(killedPool, dying, outbox.RelayConfig{Logger: testLogger()}).Run(relayCtx)
	}()
	select {
	case <-done:
	case <-time.After(testkit.Patience):
		t.Fatal("the killed relay did not stop")
	}
	if state, _, _ := rowState(t, pool, e.ID); state != "pending" {
		t.Fatalf("row is %s after the relay died before marking it; want pending", state)
	}
	testkit.WaitFor(t, "the first delivery handled", func() bool { return c.timesShipped(t, 1) == 1 })

	// The next relay publishes it again; the inbox makes it no second shipment.
	startRelay(t, pool, bus, outbox.RelayConfig{})
	testkit.WaitFor(t, "the redelivery", func() bool { return c.delivered(e.ID) == 2 })
	testkit.WaitFor(t, "the row marked published", func() bool {
		state, _, _ := rowState(t, pool, e.ID)
		return state == "published"
	})
	if n := c.timesShipped(t, 1); n != 1 {
		t.Fatalf("shipped %d times after a redelivery, want 1", n)
	}
	var records int
	if err := c.pool.QueryRow(ctx, "SELECT count(*) FROM integration_event_inbox WHERE event_id = $1", e.ID).Scan(&records); err != nil || records != 1 {
		t.Fatalf("%d inbox records (%v), want 1", records, err)
	}
}

func TestTwoRelaysOnOneTablePublishEachEventOnce(t *testing.T) {
	ctx := context.Background()
	exchange, prefix := testkit.Broker(t)
	c := startConsumer(t, rabbitmq.Config{Exchange: exchange, Queue: prefix + "_shipping"})
	pool := testkit.NewPool(t, orders)

	const events, perTx = 10_000, 100
	for first := 0; first < events; first += perTx {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			batch := make([]eventbus.Event, 0, perTx)
			for id := first; id < first+perTx; id++ {
				batch = append(batch, orderPlaced{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: id})
			}
			return outbox.Add(ctx, tx, batch...)
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Two replicas, each with its own bus. Their first batches wait for
	// each other, so that both are certainly at work at the same time.
	var started sync.WaitGroup
	started.Add(2)
	relays := make([]*countingPublisher, 2)
	for i := range relays {
		bus := newBus(t, rabbitmq.Config{Exchange: exchange, AppID: prefix + "_ordering"})
		relays[i] = &countingPublisher{BatchPublisher: bus, started: &started}
		startRelay(t, pool, relays[i], outbox.RelayConfig{BatchSize: 100})
	}

	testkit.WaitFor(t, "every event handled", func() bool { return c.distinct() == events })
	testkit.WaitFor(t, "every row marked published", func() bool { return pending(t, pool) == 0 })
	a, b := relays[0].count.Load(), relays[1].count.Load()
	if a == 0 || b == 0 || a+b != events {
		t.Fatalf("relays published %d and %d events, want %d in all, by both", a, b, events)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, n := range c.deliveries {
		if n != 1 {
			t.Fatalf("event %s delivered %d times", id, n)
		}
	}
}

func TestOneRelayPublishesInCommitOrderThroughRabbitMQ(t *testing.T) {
	ctx := context.Background()
	exchange, prefix := testkit.Broker(t)
	// One handler at a time: the consumer sees the queue's order.
	c := startConsumer(t, rabbitmq.Config{Exchange: exchange, Queue: prefix + "_shipping", Concurrency: 1})
	pool := testkit.NewPool(t, orders)
	bus := newBus(t, rabbitmq.Config{Exchange: exchange, AppID: prefix + "_ordering"})
	startRelay(t, pool, bus, outbox.RelayConfig{BatchSize: 20})

	var committed []uuid.UUID
	for i := range 500 {
		e, err := placeOrder(ctx, pool, i)
		if err != nil {
			t.Fatal(err)
		}
		committed = append(committed, e.ID)
	}
	testkit.WaitFor(t, "every event handled", func() bool { return c.distinct() == len(committed) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Equal(c.order, committed) {
		t.Fatal("the consumer received the events in another order than they were committed")
	}
}

func TestAHandlerThatFailsLeavesNoTraceAndSucceedsOnRedelivery(t *testing.T) {
	ctx := context.Background()
	exchange, prefix := testkit.Broker(t)
	c := startConsumerOf(t, rabbitmq.Config{Exchange: exchange, Queue: prefix + "_shipping"}, &consumer{failFirst: true})
	pool := testkit.NewPool(t, orders)
	startRelay(t, pool, newBus(t, rabbitmq.Config{Exchange: exchange, AppID: prefix + "_ordering"}), outbox.RelayConfig{})

	e, err := placeOrder(ctx, pool, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The transport retries the failed delivery; the effect of the failed
	// attempt rolled back with its inbox record, so there is one shipment.
	testkit.WaitFor(t, "the retried delivery handled", func() bool { return c.delivered(e.ID) >= 2 && c.timesShipped(t, 1) == 1 })
	var records int
	if err := c.pool.QueryRow(ctx, "SELECT count(*) FROM integration_event_inbox WHERE event_id = $1", e.ID).Scan(&records); err != nil || records != 1 {
		t.Fatalf("%d inbox records (%v), want 1", records, err)
	}
	if n := c.timesShipped(t, 1); n != 1 {
		t.Fatalf("shipped %d times, want 1", n)
	}
}

// hookPublisher calls after once a publish was confirmed.
type hookPublisher struct {
	eventbus.Publisher
	after func()
}

func (h *hookPublisher) Publish(ctx context.Context, m eventbus.Message) error {
	if err := h.Publisher.Publish(ctx, m); err != nil {
		return err
	}
	h.after()
	return nil
}

// countingPublisher counts the messages of confirmed batches; its first
// batch waits until every countingPublisher sharing started has begun one.
type countingPublisher struct {
	outbox.BatchPublisher
	started *sync.WaitGroup
	once    sync.Once
	count   atomic.Int64
}

func (c *countingPublisher) PublishBatch(ctx context.Context, msgs []eventbus.Message) error {
	c.once.Do(func() {
		c.started.Done()
		c.started.Wait()
	})
	if err := c.BatchPublisher.PublishBatch(ctx, msgs); err != nil {
		return err
	}
	c.count.Add(int64(len(msgs)))
	return nil
}
