package rabbitmq_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// stream publishes n events of one name from several goroutines.
type stream struct {
	n, goroutines int
	// pause, between two publishes of one goroutine, stretches the stream
	// so that the test can disturb it midway.
	pause time.Duration
	// The events from holdFrom on wait for hold to close, so that the
	// stream cannot end before the test disturbed it.
	holdFrom int
	hold     <-chan struct{}

	published atomic.Int64 // confirmed so far
}

// start publishes in the background and returns the events' ids and a
// channel that yields the first publish error (or nil) once all returned.
func (s *stream) start(ctx context.Context, bus eventbus.Publisher, name string) ([]uuid.UUID, <-chan error) {
	msgs := make([]eventbus.Message, s.n)
	ids := make([]uuid.UUID, s.n)
	for i := range msgs {
		msgs[i] = message(name)
		ids[i] = msgs[i].ID
	}
	done := make(chan error, 1)
	go func() {
		done <- testkit.Parallel(s.n, s.goroutines, func(i int) error {
			if s.hold != nil && i >= s.holdFrom {
				<-s.hold
			}
			if err := bus.Publish(ctx, msgs[i]); err != nil {
				return err
			}
			s.published.Add(1)
			time.Sleep(s.pause)
			return nil
		})
	}()
	return ids, done
}

// waitAllHandled waits until handled has every event of ids.
func waitAllHandled(t testing.TB, handled *seen, ids []uuid.UUID) {
	t.Helper()
	handled.waitDistinct(t, len(ids))
	for _, id := range ids {
		if !handled.has(id) {
			t.Fatalf("event %s never handled", id)
		}
	}
	t.Logf("%d events handled, %d redelivered duplicates", len(ids), handled.duplicates())
}

func TestNoEventLostWhileConnectionsAreClosedAndConsumerRestarts(t *testing.T) {
	tb, ctx := newTestBroker(t)
	publisher := tb.bus(tb.config("catalog"))
	consumerCfg := tb.config("basket")
	handled := newSeen()
	startConsumer := func() *rabbitmq.Bus {
		b := tb.bus(consumerCfg)
		subscribe(t, ctx, b, "PriceChanged", handled.handler)
		return b
	}
	consumer := startConsumer()

	// 32 publishers, about 1,000 events/s, and the last tenth held back
	// until the disturbances are over.
	const total = 10_000
	disturbed := make(chan struct{})
	s := &stream{n: total, goroutines: 32, pause: 30 * time.Millisecond, holdFrom: 9 * total / 10, hold: disturbed}
	ids, publishErr := s.start(ctx, publisher, "PriceChanged")

	// The broker closes this test's connections (publishing and consuming)
	// three times while the events flow, and the consumer is closed and
	// started again in between.
	closed := 0
	for _, at := range []int64{total / 10, 3 * total / 10, 6 * total / 10} {
		testkit.WaitFor(t, "publishing progress", func() bool { return s.published.Load() >= at })
		from := s.published.Load()
		n := testkit.CloseConnections(t, tb.prefix)
		t.Logf("broker closed %d connections while events %d to %d were published", n, from, s.published.Load())
		closed += n
		if at == 3*total/10 {
			testkit.WaitFor(t, "consuming progress", func() bool { return handled.distinct() >= total/5 })
			if err := consumer.Close(ctx); err != nil {
				t.Errorf("consumer Close: %v", err)
			}
			t.Logf("consumer restarted after %d handled", handled.distinct())
			consumer = startConsumer()
		}
	}
	close(disturbed)
	if closed < 3 {
		t.Errorf("the broker closed %d connections in all, want at least one each time", closed)
	}

	if err := <-publishErr; err != nil {
		t.Fatalf("Publish: %v", err)
	}
	waitAllHandled(t, handled, ids)
	if err := consumer.Close(ctx); err != nil {
		t.Errorf("consumer Close: %v", err)
	}
	if n := testkit.QueueLength(t, consumerCfg.Queue); n != 0 {
		t.Errorf("queue still holds %d messages", n)
	}
	wantNoDeadLetters(t, ctx, consumerCfg)
}

func TestGracefulCloseMidStreamLosesNothing(t *testing.T) {
	tb, ctx := newTestBroker(t)
	publisher := tb.bus(tb.config("catalog"))
	consumerCfg := tb.config("basket")
	consumerCfg.Concurrency = 8

	// The 300th handler call is still running when Close begins.
	const total, slowOne = 3000, 300
	var calls atomic.Int64
	closing := make(chan struct{})
	slowStarted := make(chan struct{})
	var slowFinished atomic.Bool
	before, after := newSeen(), newSeen()
	first := tb.bus(consumerCfg)
	subscribe(t, ctx, first, "PriceChanged", func(ctx context.Context, m eventbus.Message) error {
		if calls.Add(1) == slowOne {
			close(slowStarted)
			<-closing
			time.Sleep(50 * time.Millisecond)
			slowFinished.Store(true)
		}
		before.add(m.ID)
		return nil
	})

	s := &stream{n: total, goroutines: 8}
	ids, publishErr := s.start(ctx, publisher, "PriceChanged")
	select {
	case <-slowStarted:
	case <-ctx.Done():
		t.Fatal("handlers did not run")
	}
	close(closing)
	if err := first.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !slowFinished.Load() {
		t.Fatal("Close returned before the running handler finished")
	}
	t.Logf("closed after %d handled, %d published", before.distinct(), s.published.Load())

	second := tb.bus(consumerCfg)
	subscribe(t, ctx, second, "PriceChanged", after.handler)
	if err := <-publishErr; err != nil {
		t.Fatalf("Publish: %v", err)
	}
	testkit.WaitFor(t, "every event handled", func() bool { return before.distinct()+after.distinct() >= total })
	for _, id := range ids {
		if before.has(id) && after.has(id) {
			t.Errorf("event %s handled before Close and again after: its ack was lost", id)
		}
		if !before.has(id) && !after.has(id) {
			t.Errorf("event %s never handled", id)
		}
	}
	if d := before.duplicates() + after.duplicates(); d != 0 {
		t.Errorf("%d duplicate deliveries, want none", d)
	}
}

func TestPublishWaitsForTheBrokerDuringAnOutage(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("catalog")
	bus := tb.bus(cfg)
	handled := newSeen()
	subscribe(t, ctx, tb.bus(tb.config("basket")), "PriceChanged", handled.handler)
	publish(t, ctx, bus, "PriceChanged", 1)

	proxy.Cut()
	testkit.WaitFor(t, "Check to see the outage", func() bool { return bus.Check(ctx) != nil })

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := bus.Publish(short, message("PriceChanged"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish during the outage with a short deadline = %v, want DeadlineExceeded", err)
	}

	waiting := message("PriceChanged")
	result := make(chan error, 1)
	go func() { result <- bus.Publish(ctx, waiting) }()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-result:
		t.Fatalf("Publish returned during the outage: %v", err)
	default:
	}

	proxy.Restore()
	if err := <-result; err != nil {
		t.Fatalf("Publish after the broker came back: %v", err)
	}
	testkit.WaitFor(t, "the event published during the outage", func() bool { return handled.has(waiting.ID) })
	if err := bus.Check(ctx); err != nil {
		t.Errorf("Check after the outage: %v", err)
	}
}

func TestNewAndSubscribeWhileTheBrokerIsDown(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("basket")
	proxy.Cut()
	bus := tb.bus(cfg)
	if err := bus.Check(ctx); err == nil {
		t.Fatal("Check succeeded without a broker")
	}

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := bus.Subscribe(short, eventbus.Route{EventName: "PriceChanged", Publisher: testPublisher, Handler: newSeen().handler})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Subscribe without a broker and a short deadline = %v, want DeadlineExceeded", err)
	}

	proxy.Restore()
	handled := newSeen()
	subscribe(t, ctx, bus, "PriceChanged", handled.handler)
	m := message("PriceChanged")
	if err := bus.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	handled.waitDistinct(t, 1)
	testkit.WaitFor(t, "Check to succeed", func() bool { return bus.Check(ctx) == nil })
}

func TestConsumerResumesAfterItsConnectionDrops(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("basket")
	consumer := tb.bus(cfg)
	handled := newSeen()
	subscribe(t, ctx, consumer, "PriceChanged", handled.handler)
	publisher := tb.bus(tb.config("catalog"))
	publish(t, ctx, publisher, "PriceChanged", 1)
	handled.waitDistinct(t, 1)

	// Events published while the consumer is away wait in its queue.
	proxy.Cut()
	publish(t, ctx, publisher, "PriceChanged", 10)
	proxy.Restore()
	handled.waitDistinct(t, 11)
}

// A batch goes out in order, and a batch whose connection is dropped
// half-way is sent on from its first unconfirmed message after the
// reconnect: every message arrives, and the first copies arrive in order.
func TestPublishBatchKeepsOrderAcrossALostConnection(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg, proxy := tb.configViaProxy("catalog")
	bus := tb.bus(cfg)

	raw := testkit.Channel(t, "")
	queue := tb.prefix + "_observer"
	if err := raw.ExchangeDeclare(tb.exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.QueueDeclare(queue, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueueBind(queue, "Batched", tb.exchange, false, nil); err != nil {
		t.Fatal(err)
	}

	batch := func(n int) []eventbus.Message {
		msgs := make([]eventbus.Message, n)
		for i := range msgs {
			msgs[i] = message("Batched")
		}
		return msgs
	}
	first, second := batch(1000), batch(20000)
	if err := bus.PublishBatch(ctx, first); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- bus.PublishBatch(ctx, second) }()
	// Drop the connection once part of the second batch has arrived.
	testkit.WaitFor(t, "part of the second batch to arrive", func() bool { return testkit.QueueLength(t, queue) > len(first)+100 })
	proxy.Drop()
	dropped := testkit.QueueLength(t, queue) - len(first)
	if err := <-done; err != nil {
		t.Fatalf("PublishBatch across the dropped connection: %v", err)
	}
	if dropped >= len(second) {
		t.Fatalf("the whole second batch had arrived before the drop; the test proves nothing")
	}
	t.Logf("connection dropped after about %d of %d messages of the second batch", dropped, len(second))

	want := append(first, second...)
	deliveries, err := raw.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	seenAt := map[uuid.UUID]bool{}
	var order []uuid.UUID
	copies := 0
	for len(order) < len(want) {
		select {
		case d := <-deliveries:
			copies++
			id, err := uuid.Parse(d.MessageId)
			if err != nil {
				t.Fatalf("message id %q: %v", d.MessageId, err)
			}
			if !seenAt[id] {
				seenAt[id] = true
				order = append(order, id)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d messages arrived", len(order), len(want))
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	for i, m := range want {
		if order[i] != m.ID {
			t.Fatalf("first copies out of order at %d: got %s, want %s", i, order[i], m.ID)
		}
	}
	t.Logf("%d messages, %d copies (%d sent again after the drop)", len(want), copies, copies-len(want))
}
