package main

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"
)

// make reset, pointed at a test's own names: it asks first, and with a yes
// leaves no database, queue or exchange of the shop behind.
func TestResetLeavesNothingOfTheShopBehind(t *testing.T) {
	ctx := context.Background()
	exchange, prefix := testkit.Broker(t)
	queue := prefix + "_basket"
	bus, err := rabbitmq.New(ctx, rabbitmq.Config{URL: testkit.RabbitURL(), Exchange: exchange, Queue: queue})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: "OrderStartedIntegrationEvent", Publisher: "ordering", Handler: func(context.Context, eventbus.Message) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	target := target{databases: []string{databaseName(t, testkit.NewDatabase(t))}, exchange: exchange, queues: []string{queue}}
	queues, exchanges := target.brokerObjects()
	testkit.WaitFor(t, "the bus to declare its queues", func() bool { return len(existing(t, queues, exchanges)) == len(queues)+len(exchanges) })
	if err := bus.Close(ctx); err != nil {
		t.Fatal(err)
	}
	args := []string{"-database-url", testkit.PostgresURL(), "-amqp-url", testkit.RabbitURL(), "-exchange", exchange,
		"-databases", strings.Join(target.databases, ","), "-queues", queue}

	var out bytes.Buffer
	if err := run(ctx, args, strings.NewReader("no\n"), &out, &out); err == nil {
		t.Fatalf("reset went on without a yes:\n%s", out.String())
	}
	if got := existing(t, queues, exchanges); len(got) != len(queues)+len(exchanges) || !databaseExists(t, target.databases[0]) {
		t.Fatalf("reset without a yes dropped something: left %v, database there: %v", got, databaseExists(t, target.databases[0]))
	}

	out.Reset()
	if err := run(ctx, append(args, "-yes"), strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("reset -yes: %v\n%s", err, out.String())
	}
	if got := existing(t, queues, exchanges); len(got) > 0 {
		t.Errorf("reset left %v", got)
	}
	if databaseExists(t, target.databases[0]) {
		t.Errorf("reset left the database %s", target.databases[0])
	}
	// Again: nothing there is no error.
	if err := run(ctx, append(args, "-yes"), strings.NewReader(""), &out, &out); err != nil {
		t.Errorf("reset on nothing: %v", err)
	}
}

func databaseName(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), testkit.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// existing returns those of the queues and exchanges the broker has.
func existing(t *testing.T, queues, exchanges []string) []string {
	t.Helper()
	conn, err := amqp.Dial(testkit.RabbitURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var found []string
	check := func(name string, declare func(*amqp.Channel) error) {
		ch, err := conn.Channel() // a failed passive declaration closes it
		if err != nil {
			t.Fatal(err)
		}
		defer ch.Close()
		var amqpErr *amqp.Error
		switch err := declare(ch); {
		case err == nil:
			found = append(found, name)
		case !errors.As(err, &amqpErr) || amqpErr.Code != amqp.NotFound:
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, q := range queues {
		check(q, func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
			return err
		})
	}
	for _, x := range exchanges {
		check(x, func(ch *amqp.Channel) error {
			return ch.ExchangeDeclarePassive(x, "topic", true, false, false, false, nil)
		})
	}
	return found
}
