package rabbitmq_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/trace"
)

// The benchmarks each run one fixed workload per iteration (run them with
// -benchtime 1x): benchEvents persistent events of about 150 bytes, from
// publish to handled, into a quorum queue of the same broker.
const (
	benchEvents     = 50_000
	benchPublishers = 32
	// rawWindow is how many unconfirmed messages the raw publisher allows.
	// The bus with 32 publishers, each waiting for its own confirm, has at
	// most 32 unconfirmed: BenchmarkRawAMQP also runs with that window, to
	// tell the cost of the bus from the cost of the smaller window.
	rawWindow = 1_000
	// rawPrefetch and rawAckEvery tune the raw consumer: acks cover several
	// deliveries at once (multiple=true).
	rawPrefetch = 1_000
	rawAckEvery = 100
)

// benchEvent is the event of the benchmarks, about 150 bytes on the wire:
// a price change plus when it was published.
type benchEvent struct {
	eventbus.IntegrationEvent
	ProductID int   `json:"ProductId"`
	SentAt    int64 `json:"SentAt"`
}

func (benchEvent) EventName() string { return "ProductPriceChangedIntegrationEvent" }

// benchMessage is the i-th message of a benchmark, published now.
func benchMessage(i int) eventbus.Message {
	m, _ := eventbus.Encode(benchEvent{IntegrationEvent: eventbus.NewIntegrationEvent(), ProductID: i, SentAt: time.Now().UnixNano()})
	return m
}

// latencies collects publish-to-handled times.
type latencies struct {
	mu   sync.Mutex
	d    []time.Duration
	done chan struct{}
	want int
}

func newLatencies(want int) *latencies {
	return &latencies{d: make([]time.Duration, 0, want), done: make(chan struct{}), want: want}
}

func (l *latencies) record(body []byte) error {
	var e benchEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return err
	}
	d := time.Since(time.Unix(0, e.SentAt))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.d = append(l.d, d)
	if len(l.d) == l.want {
		close(l.done)
	}
	return nil
}

// report reports the throughput and latencies, and returns the throughput
// in events/s.
func (l *latencies) report(b *testing.B, elapsed time.Duration) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.Sort(l.d)
	pct := func(p float64) float64 {
		return float64(l.d[int(p*float64(len(l.d)-1))].Microseconds()) / 1000
	}
	rate := float64(len(l.d)) / elapsed.Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	return rate
}

// benchmarkBusToHandler measures benchEvents events from publishAll,
// publishing through one bus, to a handler subscribed on another that
// decodes each body; tp makes the buses' spans (nil: the process's
// provider). It returns the last iteration's events/s.
func benchmarkBusToHandler(b *testing.B, tp trace.TracerProvider, publishAll func(ctx context.Context, publisher *rabbitmq.Bus) error) (rate float64) {
	tb, ctx := newTestBroker(b)
	pubCfg, consCfg := tb.config("catalog"), tb.config("basket")
	pubCfg.TracerProvider, consCfg.TracerProvider = tp, tp
	publisher := tb.bus(pubCfg)
	consumer := tb.bus(consCfg)
	var lat atomic.Pointer[latencies]
	if _, err := consumer.Subscribe(ctx, eventbus.Route{EventName: "ProductPriceChangedIntegrationEvent", Publisher: testPublisher, Handler: func(_ context.Context, m eventbus.Message) error {
		return lat.Load().record(m.Body)
	}}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l := newLatencies(benchEvents)
		lat.Store(l)
		start, cpu := time.Now(), testkit.CPU()
		if err := publishAll(context.Background(), publisher); err != nil {
			b.Fatal(err)
		}
		<-l.done
		rate = l.report(b, time.Since(start))
		// The processor time of an event: this process's (both buses, the
		// handler, and with tracing on the spans and their export) and
		// the broker's.
		used := testkit.CPU().Sub(cpu)
		b.ReportMetric(float64(used.Process.Nanoseconds())/1e3/benchEvents, "go-cpu-µs/event")
		b.ReportMetric(float64(used.RabbitMQ.Nanoseconds())/1e3/benchEvents, "broker-cpu-µs/event")
	}
	return rate
}

// BenchmarkBus publishes through the bus from 32 goroutines, each waiting
// for its confirm.
func BenchmarkBus(b *testing.B) { benchBus(b, nil) }

// benchBus is BenchmarkBus with the buses' spans made by tp (nil: the
// process's provider). It returns the last iteration's events/s.
func benchBus(b *testing.B, tp trace.TracerProvider) float64 {
	return benchmarkBusToHandler(b, tp, func(ctx context.Context, publisher *rabbitmq.Bus) error {
		return testkit.Parallel(benchEvents, benchPublishers, func(i int) error {
			return publisher.Publish(ctx, benchMessage(i+1))
		})
	})
}

// BenchmarkPublishBatch publishes through the bus from one goroutine in
// batches of rawWindow messages (PublishBatch: in order, confirms
// pipelined, returning once all are confirmed), as the outbox relay does.
// Compare it with BenchmarkRawAMQP/window=1000.
func BenchmarkPublishBatch(b *testing.B) {
	benchmarkBusToHandler(b, nil, func(ctx context.Context, publisher *rabbitmq.Bus) error {
		batch := make([]eventbus.Message, 0, rawWindow)
		for i := 1; i <= benchEvents; i++ {
			batch = append(batch, benchMessage(i))
			if len(batch) == rawWindow || i == benchEvents {
				if err := publisher.PublishBatch(ctx, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		return nil
	})
}

// BenchmarkRawAMQP is the physical reference: plain amqp091-go, one
// publishing goroutine on one confirm channel with up to rawWindow (or
// benchPublishers) unconfirmed messages, and one consumer with a large
// prefetch that acks many deliveries at once.
func BenchmarkRawAMQP(b *testing.B) {
	for _, window := range []int{rawWindow, benchPublishers} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) { benchmarkRaw(b, window) })
	}
}

func benchmarkRaw(b *testing.B, rawWindow int) {
	tb, _ := newTestBroker(b)
	queue := tb.prefix + "_raw"
	pub := testkit.Channel(b, "")
	if err := pub.ExchangeDeclare(tb.exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := pub.QueueDeclare(queue, true, false, false, false, amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum}); err != nil {
		b.Fatal(err)
	}
	if err := pub.QueueBind(queue, "ProductPriceChangedIntegrationEvent", tb.exchange, false, nil); err != nil {
		b.Fatal(err)
	}
	if err := pub.Confirm(false); err != nil {
		b.Fatal(err)
	}
	con := testkit.Channel(b, "")
	if err := con.Qos(rawPrefetch, 0, false); err != nil {
		b.Fatal(err)
	}
	deliveries, err := con.Consume(queue, "", false, false, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}

	for b.Loop() {
		l := newLatencies(benchEvents)
		consumed := make(chan error, 1)
		go func() {
			for n := 1; n <= benchEvents; n++ {
				d := <-deliveries
				if err := l.record(d.Body); err != nil {
					consumed <- err
					return
				}
				if n%rawAckEvery == 0 || n == benchEvents {
					if err := d.Ack(true); err != nil {
						consumed <- err
						return
					}
				}
			}
			consumed <- nil
		}()

		start := time.Now()
		window := make(chan *amqp.DeferredConfirmation, rawWindow)
		confirmed := make(chan error, 1)
		go func() {
			for dc := range window {
				if !dc.Wait() {
					confirmed <- fmt.Errorf("nack for %d", dc.DeliveryTag)
					return
				}
			}
			confirmed <- nil
		}()
		for i := 1; i <= benchEvents; i++ {
			m := benchMessage(i)
			dc, err := pub.PublishWithDeferredConfirm(tb.exchange, m.Name, false, false, amqp.Publishing{
				ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: m.ID.String(),
				Type: m.Name, Timestamp: m.Time, AppId: "bench", Body: m.Body,
			})
			if err != nil {
				b.Fatal(err)
			}
			window <- dc
		}
		close(window)
		if err := <-confirmed; err != nil {
			b.Fatal(err)
		}
		if err := <-consumed; err != nil {
			b.Fatal(err)
		}
		l.report(b, time.Since(start))
	}
}
