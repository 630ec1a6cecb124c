package rabbitmq_test

import (
	"cmp"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// transport is RabbitMQ as the conformance suite runs it: it promises
// every case.
var transport = bustest.Transport{
	NewBroker: func(t testing.TB) bustest.Broker {
		tb, _ := newTestBroker(t)
		return conformance{tb}
	},
	OpenBroker: func(name string) bustest.Broker {
		exchange, prefix, _ := strings.Cut(name, ",")
		return conformance{testBroker{exchange: exchange, prefix: prefix}}
	},
	Features: bustest.Features{
		CompetingConsumers: true,
		Durable:            true,
		UnsubscribeWaits:   true,
		Retries:            true,
		ParkedWhy:          true,
		Replay:             true,
		ReplayDropsHeaders: []string{"x-last-error", "x-parked-reason", "x-parked-at"},
		Forgery:            true,
		CrashLoopBound:     rabbitmq.CrashLoopDeliveries,
		Reconnects:         true,
		// As many as the issue asks for: at about 1,000 a second, ten
		// seconds of the run.
		StreamEvents: 10_000,
	},
}

func TestMain(m *testing.M) { bustest.Main(m, transport) }

func TestConformance(t *testing.T) { bustest.Run(t, transport) }

// conformance is a test's part of the broker as the suite uses it.
type conformance struct{ testBroker }

func (b conformance) Start(ctx context.Context, svc string, o bustest.Options) (eventbus.Bus, error) {
	cfg := b.config(svc)
	cfg.Concurrency = cmp.Or(o.Concurrency, cfg.Concurrency)
	cfg.Prefetch = cmp.Or(o.Prefetch, cfg.Prefetch)
	cfg.MaxAttempts = cmp.Or(o.MaxAttempts, cfg.MaxAttempts)
	cfg.RetryBackoff = cmp.Or(o.RetryBackoff, cfg.RetryBackoff)
	cfg.UnhandledGrace = cmp.Or(o.UnhandledGrace, cfg.UnhandledGrace)
	return rabbitmq.New(ctx, cfg)
}

func (b conformance) DeadLetters(t testing.TB, ctx context.Context, svc string) []bustest.DeadLetter {
	t.Helper()
	parked, err := rabbitmq.ListDeadLetters(ctx, rabbitmq.Config{URL: testkit.RabbitURL(), Queue: b.queue(svc)})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bustest.DeadLetter, len(parked))
	for i, p := range parked {
		out[i] = bustest.DeadLetter{Message: p.Message, Reason: string(p.Reason), Attempts: p.Attempts, LastError: p.LastError, ParkedAt: p.ParkedAt}
	}
	return out
}

func (b conformance) Replay(t testing.TB, ctx context.Context, svc string, ids ...uuid.UUID) int {
	t.Helper()
	n, err := rabbitmq.ReplayDeadLetters(ctx, rabbitmq.Config{URL: testkit.RabbitURL(), Queue: b.queue(svc)}, rabbitmq.Replay{IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Forge publishes m as basket's service would, routed as routedAs and
// typed as m.Name.
func (b conformance) Forge(t testing.TB, ctx context.Context, routedAs string, m eventbus.Message) {
	t.Helper()
	b.rawPublish(ctx, routedAs, testkit.EventMessage(m.Name, m.ID.String(), "basket", m.Body))
}

func (b conformance) CutConnections(t testing.TB) int { return testkit.CloseConnections(t, b.prefix) }

func (b conformance) CutAllConnections(t testing.TB) { testkit.CloseAllConnections(t) }

func (b conformance) RestartServer(t testing.TB, downtime time.Duration) {
	testkit.RestartBroker(t, downtime)
}

func (b conformance) Name() string { return b.exchange + "," + b.prefix }
