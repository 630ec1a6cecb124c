package bench

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// orderPlaced is the event of every pipeline measured here.
type orderPlaced struct {
	eventbus.IntegrationEvent
	OrderID int `json:"OrderId"`
}

func (orderPlaced) EventName() string { return "OrderPlacedBenchEvent" }

func (orderPlaced) Publisher() string { return "tests" }

// The producer's business table, and the consumer's.
var (
	orders = fstest.MapFS{"migrations/001_orders.sql": {Data: []byte(
		"CREATE TABLE orders (id bigint PRIMARY KEY);")}}
	shipments = fstest.MapFS{"migrations/001_shipments.sql": {Data: []byte(
		"CREATE TABLE shipments (order_id bigint PRIMARY KEY, times_shipped int NOT NULL);")}}
)

// shipOrder is the consumer's effect, in every pipeline.
const shipOrder = `INSERT INTO shipments (order_id, times_shipped) VALUES ($1, 1)
	ON CONFLICT (order_id) DO UPDATE SET times_shipped = shipments.times_shipped + 1`

// eshopPipeline is the building blocks' path: outbox.Add in the producer's
// transaction → the outbox relay → the RabbitMQ bus (quorum queue,
// persistent, confirms) → a consumer handling each event through the inbox
// in another database, with the transport's default concurrency.
type eshopPipeline struct {
	producerDB, consumerDB       *pgxpool.Pool
	producerStart, consumerStart dbCounters // see reportCounters
	// traced: each producer's transaction runs in a span of its own, as a
	// request's does (see BenchmarkPipelineTracing).
	traced bool
}

func startEshop(b *testing.B, s *sink) *eshopPipeline {
	b.Helper()
	ctx := context.Background()
	exchange, prefix := testkit.Broker(b)
	p := &eshopPipeline{producerDB: testkit.PoolFor(b, testkit.WithMaxConns(b, testkit.NewDatabase(b), producers+2), orders)}
	consumerDB := testkit.PoolFor(b, testkit.WithMaxConns(b, testkit.NewDatabase(b), rabbitmq.DefaultConcurrency), shipments)
	p.consumerDB = consumerDB
	p.producerStart, p.consumerStart = countersOf(b, p.producerDB), countersOf(b, consumerDB)

	consumer := testkit.StartBus(b, rabbitmq.Config{Exchange: exchange, Queue: prefix + "_shipping", Logger: quiet})
	ship := inbox.Handler(consumerDB, "bench.ship_order", func(ctx context.Context, tx pgx.Tx, e orderPlaced) error {
		_, err := tx.Exec(ctx, shipOrder, e.OrderID)
		return err
	})
	if _, err := eventbus.Subscribe(ctx, consumer, func(ctx context.Context, e orderPlaced) error {
		if err := ship(ctx, e); err != nil {
			return err
		}
		s.handled(e.OrderID) // after the inbox's commit
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	producer := testkit.StartBus(b, rabbitmq.Config{Exchange: exchange, AppID: prefix + "_ordering", Logger: quiet})
	relay := outbox.NewRelay(p.producerDB, producer, outbox.RelayConfig{Logger: quiet})
	testkit.RunUntilCleanup(b, relay.Run)
	return p
}

func (p *eshopPipeline) commit(ctx context.Context, id int, beforeCommit func()) error {
	if p.traced {
		var span trace.Span
		ctx, span = otel.Tracer("tests/bench").Start(ctx, "POST /orders")
		defer span.End()
	}
	return placeOrder(ctx, p.producerDB, id, beforeCommit, func(tx pgx.Tx, e orderPlaced) error {
		return outbox.Add(ctx, tx, e)
	})
}

// placeOrder is the producer's transaction in every pipeline: the business
// row of order id and, by store, its event; beforeCommit runs just before
// COMMIT is sent.
func placeOrder(ctx context.Context, db *pgxpool.Pool, id int, beforeCommit func(), store func(pgx.Tx, orderPlaced) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "INSERT INTO orders (id) VALUES ($1)", id); err != nil {
		return err
	}
	if err := store(tx, orderPlaced{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: id}); err != nil {
		return err
	}
	beforeCommit()
	return tx.Commit(ctx)
}
