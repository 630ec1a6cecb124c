package host_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/outbox"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// metricsApp builds a test service on its own exchange and queue, with a
// database if dbURL is set, and the broker at brokerURL.
func metricsApp(t *testing.T, brokerURL, dbURL string) (*host.App, host.Config, string) {
	t.Helper()
	exchange, prefix := testkit.Broker(t)
	cfg, err := host.LoadConfig[testConfig]("hosttest", testkit.FreeAddr(t), map[string]string{
		"RABBITMQ_URL": brokerURL, "EVENTBUS_EXCHANGE": exchange, "EVENTBUS_QUEUE": prefix + "_hosttest", "EVENTBUS_PUBLISHER_USERS": "*=" + testkit.RabbitUser(), "DATABASE_URL": dbURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	app, err := host.NewApp(context.Background(), "hosttest", cfg.Config, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if dbURL != "" {
		if _, err := app.UseDatabase(context.Background(), cfg.DatabaseURL, cfg.DatabaseConfig, nil); err != nil {
			t.Fatal(err)
		}
	}
	return app, cfg.Config, exchange
}

// Every HTTP request and every delivery shows in /metrics, with the labels
// of docs/observability.md, and /metrics needs no token.
func TestMetricsFollowTheTraffic(t *testing.T) {
	ctx := context.Background()
	dbURL := testkit.NewDatabase(t)
	app, cfg, exchange := metricsApp(t, testkit.RabbitURL(), dbURL)
	pool := testkit.PoolFor(t, dbURL, nil)
	app.Router.Get("/things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	var flaky atomic.Int32
	app.Subscribe(
		eventbus.Route{EventName: "Handled", Publisher: "tests", Handler: func(ctx context.Context, m eventbus.Message) error {
			return inbox.Handle(ctx, pool, "test.handled", m.ID, func(ctx context.Context, tx pgx.Tx) error {
				return outbox.Add(ctx, tx, testkit.PriceChanged{IntegrationEvent: eventbus.NewIntegrationEvent(), ProductID: 1})
			})
		}},
		eventbus.Route{EventName: "Invalid", Publisher: "tests", Handler: func(context.Context, eventbus.Message) error {
			return fmt.Errorf("%w: no good", eventbus.ErrInvalidEvent)
		}},
		eventbus.Route{EventName: "Flaky", Publisher: "tests", Handler: func(context.Context, eventbus.Message) error {
			if flaky.Add(1) == 1 {
				return errors.New("not this time")
			}
			return nil
		}},
	)
	testkit.RunService(t, app)
	testkit.WaitReady(t, "http://"+cfg.HTTPAddr)

	for _, path := range []string{"/things/7", "/things/8", "/nowhere/9"} {
		resp, err := http.Get("http://" + cfg.HTTPAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	pub := testkit.StartBus(t, rabbitmq.Config{Exchange: exchange, AppID: "metricstest"})
	handled := uuid.New()
	for _, m := range []eventbus.Message{
		{ID: handled, Name: "Handled", Body: []byte(`{}`)},
		{ID: handled, Name: "Handled", Body: []byte(`{}`)}, // the inbox drops it
		{ID: uuid.New(), Name: "Invalid", Body: []byte(`{}`)},
		{ID: uuid.New(), Name: "Flaky", Body: []byte(`{}`)},
	} {
		if err := pub.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	const consumed = "messaging_client_consumed_messages_total"
	var families testkit.Metrics
	testkit.WaitFor(t, "every delivery settled and the caused event relayed", func() bool {
		families = testkit.Scrape(t, cfg.HTTPAddr)
		return families.Value(consumed, "messaging_destination_name", "Flaky", "outcome", "ack") == 1 &&
			families.Value(consumed, "messaging_destination_name", "Handled", "outcome", "duplicate") == 1 &&
			families.Value(consumed, "messaging_destination_name", "Invalid", "outcome", "dead_letter") == 1 &&
			families.Value("messaging_client_sent_messages_total", "messaging_destination_name", "ProductPriceChangedIntegrationEvent") == 1 &&
			families.Value("eshop_eventbus_dead_letter_messages", "queue", cfg.Queue+".dlq") == 1 &&
			families.Value("eshop_outbox_pending_events") == 0
	})
	for _, c := range []struct {
		family string
		labels []string
		want   float64
	}{
		{consumed, []string{"messaging_destination_name", "Handled", "outcome", "ack"}, 1},
		{consumed, []string{"messaging_destination_name", "Flaky", "outcome", "retry"}, 1},
		{"messaging_process_duration_seconds", []string{"messaging_destination_name", "Handled"}, 2},
		{"messaging_process_duration_seconds", []string{"messaging_destination_name", "Flaky"}, 2},
		{"http_server_request_duration_seconds", []string{"http_request_method", "GET", "http_route", "/things/{id}", "http_response_status_code", "200"}, 2},
		{"http_server_request_duration_seconds", []string{"http_request_method", "GET", "http_route", "unmatched", "http_response_status_code", "404"}, 1},
		{"eshop_outbox_oldest_pending_age_seconds", nil, 0},
	} {
		if got := families.Value(c.family, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.family, c.labels, got, c.want)
		}
	}
	for _, f := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if families[f] == nil {
			t.Errorf("no %s: the runtime and process collectors are missing", f)
		}
	}
	for _, m := range families["http_server_request_duration_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), "/nowhere") || strings.Contains(l.GetValue(), "/things/7") {
				t.Errorf("a raw path as a label: %v", m.GetLabel())
			}
		}
	}
}

// A service without a database (payment) has no outbox series; a broker
// that is down leaves out the dead-letter gauge and fails no scrape.
func TestMetricsWithoutADatabaseOrABroker(t *testing.T) {
	app, cfg, _ := metricsApp(t, "amqp://guest:guest@"+testkit.FreeAddr(t)+"/", "")
	testkit.RunService(t, app)
	testkit.WaitFor(t, "the server listening", func() bool {
		resp, err := http.Get("http://" + cfg.HTTPAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	families := testkit.Scrape(t, cfg.HTTPAddr)
	for name := range families {
		if strings.HasPrefix(name, "eshop_outbox_") || name == "eshop_eventbus_dead_letter_messages" {
			t.Errorf("%s is served", name)
		}
	}
	if families["go_goroutines"] == nil {
		t.Error("no go_goroutines")
	}
}

// The dead-letter gauge of a service without a database, its broker up.
func TestMetricsDeadLetterGaugeWithoutADatabase(t *testing.T) {
	app, cfg, _ := metricsApp(t, testkit.RabbitURL(), "")
	app.Subscribe(eventbus.Route{EventName: "Handled", Publisher: "tests", Handler: func(context.Context, eventbus.Message) error { return nil }})
	testkit.RunService(t, app)
	testkit.WaitReady(t, "http://"+cfg.HTTPAddr)
	families := testkit.Scrape(t, cfg.HTTPAddr)
	if got := families.Value("eshop_eventbus_dead_letter_messages", "queue", cfg.Queue+".dlq"); got != 0 {
		t.Errorf("dead letters = %v, want 0", got)
	}
	if families["eshop_outbox_pending_events"] != nil {
		t.Error("an outbox series without a database")
	}
}
