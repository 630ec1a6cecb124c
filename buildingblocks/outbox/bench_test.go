package outbox_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkOutbox measures the path a real event takes: 16 producers each
// commit a business row and its event per transaction → the relay →
// RabbitMQ → a consumer that handles it through the inbox in another
// database. It reports events/s at full speed. The relay publishes each
// batch in order with its confirms pipelined (the rabbitmq Bus is an
// outbox.BatchPublisher). Each sub-benchmark runs one fixed workload per
// iteration (make bench runs one).
//
// The same path beside Watermill's and pgbench, and under paced loads
// whose latency charges an event for falling behind its schedule, is
// BenchmarkPipeline in tests/bench.
func BenchmarkOutbox(b *testing.B) {
	b.Run("full_speed", func(b *testing.B) {
		for range b.N {
			workload{events: 30_000}.run(b)
		}
	})
}

const benchProducers = 16

// workload is a run of BenchmarkOutbox: events committed as fast as the
// producers go.
type workload struct {
	events int
	// traced: each producer's transaction runs in a span of its own, as a
	// request's does (spans come from the process's tracer provider).
	traced bool
}

// run runs the workload once and returns its throughput in events/s.
func (w workload) run(b *testing.B) float64 {
	b.StopTimer()
	ctx := context.Background()
	exchange, prefix := testkit.Broker(b)
	producerDB := testkit.PoolFor(b, testkit.WithMaxConns(b, testkit.NewDatabase(b), benchProducers+2), orders)
	consumerDB := testkit.PoolFor(b, testkit.WithMaxConns(b, testkit.NewDatabase(b), rabbitmq.DefaultConcurrency), shipments)

	// committing[i] is when event i's COMMIT started; latency[i] how long
	// after that the consumer had committed its handling.
	committing := make([]atomic.Int64, w.events)
	latency := make([]time.Duration, w.events)
	var handled sync.WaitGroup
	handled.Add(w.events)
	var lastHandled atomic.Int64

	consumerBus := newBus(b, rabbitmq.Config{Exchange: exchange, Queue: prefix + "_shipping"})
	ship := inbox.Handler(consumerDB, "bench.ship_order", func(ctx context.Context, tx pgx.Tx, e orderPlaced) error {
		_, err := tx.Exec(ctx, `INSERT INTO shipments (order_id, times_shipped) VALUES ($1, 1)
			ON CONFLICT (order_id) DO UPDATE SET times_shipped = shipments.times_shipped + 1`, e.OrderID)
		return err
	})
	var warm sync.WaitGroup
	_, err := eventbus.Subscribe(ctx, consumerBus, func(ctx context.Context, e orderPlaced) error {
		if err := ship(ctx, e); err != nil {
			return err
		}
		if e.OrderID < 0 { // warm-up
			warm.Done()
			return nil
		}
		now := time.Now()
		latency[e.OrderID] = now.Sub(time.Unix(0, committing[e.OrderID].Load()))
		lastHandled.Store(now.UnixNano())
		handled.Done()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	producerBus := newBus(b, rabbitmq.Config{Exchange: exchange, AppID: prefix + "_ordering"})
	startRelay(b, producerDB, producerBus, outbox.RelayConfig{})

	// Warm up: connections open, queue bound, statements prepared.
	warm.Add(benchProducers)
	for i := range benchProducers {
		if err := commitOrder(ctx, producerDB, -1-i, func() {}); err != nil {
			b.Fatal(err)
		}
	}
	warm.Wait()

	b.StartTimer()
	start, cpu := time.Now(), testkit.CPU()
	if err := testkit.Parallel(w.events, benchProducers, func(i int) error {
		ctx := ctx
		if w.traced {
			var span trace.Span
			ctx, span = otel.Tracer("outbox.bench").Start(ctx, "POST /orders")
			defer span.End()
		}
		return commitOrder(ctx, producerDB, i, func() { committing[i].Store(time.Now().UnixNano()) })
	}); err != nil {
		b.Fatal(err)
	}
	handled.Wait()
	b.StopTimer()
	used := testkit.CPU().Sub(cpu)

	elapsed := time.Unix(0, lastHandled.Load()).Sub(start)
	slices.Sort(latency)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(w.events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(ms(latency[len(latency)/2]), "p50-ms")
	b.ReportMetric(ms(latency[len(latency)*99/100]), "p99-ms")
	b.ReportMetric(ms(latency[len(latency)-1]), "max-ms")
	// The processor time of an event: this process's (the producers, the
	// relay, the consumer, and with tracing on the spans and their
	// export), PostgreSQL's and the broker's.
	perEvent := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(w.events) }
	b.ReportMetric(perEvent(used.Process), "go-cpu-µs/event")
	b.ReportMetric(perEvent(used.PostgreSQL), "postgres-cpu-µs/event")
	b.ReportMetric(perEvent(used.RabbitMQ), "broker-cpu-µs/event")
	return float64(w.events) / elapsed.Seconds()
}

// commitOrder commits order id and its event; beforeCommit runs just
// before COMMIT is sent.
func commitOrder(ctx context.Context, pool *pgxpool.Pool, id int, beforeCommit func()) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "INSERT INTO orders (id) VALUES ($1)", id); err != nil {
		return err
	}
	if err := outbox.Add(ctx, tx, orderPlaced{IntegrationEvent: eventbus.NewIntegrationEvent(), OrderID: id}); err != nil {
		return err
	}
	beforeCommit()
	return tx.Commit(ctx)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
