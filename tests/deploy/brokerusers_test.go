package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

const definitionsFile = "../../deploy/rabbitmq/definitions.json"

// operatorUsers are the broker users of definitions.json that are no
// service's: events, which tails the bus (make events) and publishes
// nothing.
var operatorUsers = []string{"events"}

// brokerUsers is deploy/rabbitmq/definitions.json as loaded into the test
// broker for one test: the exchange, every service's user and the operator
// users, queue names and the exchange made unique to the test (the prefix
// testkit.Broker gave), and nothing else (the operator's user and the virtual host are the shared broker's
// and stay untouched).
type brokerUsers struct {
	exchange, prefix string
}

func loadBrokerUsers(t *testing.T) brokerUsers {
	t.Helper()
	exchange, prefix := testkit.Broker(t)
	raw := mustRead(t, definitionsFile)
	// One pass, so that no name is rewritten twice.
	names := []string{rabbitmq.DefaultExchange, exchange}
	for _, s := range append(slices.Clone(busServices), operatorUsers...) {
		names = append(names, s, prefix+"_"+s)
	}
	var defs map[string][]map[string]any
	if err := json.Unmarshal([]byte(strings.NewReplacer(names...).Replace(string(raw))), &defs); err != nil {
		t.Fatalf("%s: %v", definitionsFile, err)
	}
	ours := func(entries []map[string]any, key string) []map[string]any {
		var kept []map[string]any
		for _, e := range entries {
			if name, _ := e[key].(string); strings.HasPrefix(name, prefix) {
				kept = append(kept, e)
			}
		}
		return kept
	}
	test := map[string][]map[string]any{
		"exchanges":         ours(defs["exchanges"], "name"),
		"users":             ours(defs["users"], "name"),
		"permissions":       ours(defs["permissions"], "user"),
		"topic_permissions": ours(defs["topic_permissions"], "user"),
	}
	if want := len(busServices) + len(operatorUsers); len(test["users"]) != want || len(test["topic_permissions"]) != want || len(test["exchanges"]) != 1 {
		t.Fatalf("%s: want the exchange, and a user and topic permissions for each of %v and %v, got %v", definitionsFile, busServices, operatorUsers, test)
	}
	js, err := json.Marshal(test)
	if err != nil {
		t.Fatal(err)
	}
	testkit.ImportBrokerDefinitions(t, js)
	return brokerUsers{exchange: exchange, prefix: prefix}
}

// queue is the test's name of service's queue.
func (u brokerUsers) queue(service string) string { return u.prefix + "_" + service }

// url is the test broker's URL with service's user (and its demo password
// from the definitions file).
func (u brokerUsers) url(t *testing.T, service string) string {
	t.Helper()
	parsed, err := url.Parse(testkit.RabbitURL())
	if err != nil {
		t.Fatal(err)
	}
	user := u.queue(service)
	parsed.User = url.UserPassword(user, user+"-demo-password")
	return parsed.String()
}

// channel opens a confirm channel as service's user, closed with the test.
func (u brokerUsers) channel(t *testing.T, service string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.DialConfig(u.url(t, service), amqp.Config{Properties: amqp.Table{"connection_name": u.prefix + "-" + service}})
	if err != nil {
		t.Fatalf("connect as %s's user: %v", service, err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// declare declares the test's exchange and the service queues named, as
// the operator: what the shop's services declare for themselves.
func (u brokerUsers) declare(t *testing.T, queues ...string) {
	t.Helper()
	ch := testkit.Channel(t, u.prefix+"-operator")
	if err := ch.ExchangeDeclare(u.exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range queues {
		if _, err := ch.QueueDeclare(u.queue(q), true, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// publish publishes a message with routingKey on ch and waits for the
// broker's answer: nil when it confirmed, the channel's closing error when
// it refused.
func publish(t *testing.T, ch *amqp.Channel, exchange, routingKey string) error {
	t.Helper()
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, routingKey, false, false, amqp.Publishing{
		Type: routingKey, MessageId: uuid.NewString(), Body: []byte(`{}`),
	})
	if err != nil {
		return err
	}
	if acked, err := confirm.WaitContext(ctx); err == nil && acked {
		return nil
	}
	select {
	case err := <-closed:
		return err
	case <-ctx.Done():
		t.Fatalf("publish %s: neither confirmed nor refused", routingKey)
		return nil
	}
}

// wantRefused fails the test unless err is the broker's ACCESS_REFUSED.
func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	var amqpErr *amqp.Error
	if !errors.As(err, &amqpErr) || amqpErr.Code != amqp.AccessRefused {
		t.Errorf("%s: got %v, want ACCESS_REFUSED", what, err)
		return
	}
	t.Logf("%s: refused as it should be: %v", what, err)
}

func TestBasketsBrokerUserPublishesOnlyBasketsEvents(t *testing.T) {
	u := loadBrokerUsers(t)
	u.declare(t, "ordering")

	ch := u.channel(t, "basket")
	if err := publish(t, ch, u.exchange, "UserCheckoutAcceptedIntegrationEvent"); err != nil {
		t.Fatalf("basket publishes its own UserCheckoutAcceptedIntegrationEvent: %v", err)
	}
	wantRefused(t, "basket publishes catalog's ProductPriceChangedIntegrationEvent",
		publish(t, ch, u.exchange, "ProductPriceChangedIntegrationEvent"))
	// Nor can it reach another service's queue by name, around the exchange.
	wantRefused(t, "basket publishes into ordering's queue through the default exchange",
		publish(t, u.channel(t, "basket"), "", u.queue("ordering")))
}

func TestBasketsBrokerUserConsumesOnlyItsOwnQueue(t *testing.T) {
	u := loadBrokerUsers(t)
	u.declare(t, "basket", "catalog")

	if _, err := u.channel(t, "basket").Consume(u.queue("basket"), "", false, false, false, false, nil); err != nil {
		t.Fatalf("basket consumes its own queue: %v", err)
	}
	_, err := u.channel(t, "basket").Consume(u.queue("catalog"), "", false, false, false, false, nil)
	wantRefused(t, "basket consumes catalog's queue", err)

	if err := u.channel(t, "basket").QueueBind(u.queue("basket"), "ProductPriceChangedIntegrationEvent", u.exchange, false, nil); err != nil {
		t.Fatalf("basket binds its queue to an event it consumes: %v", err)
	}
	err = u.channel(t, "basket").QueueBind(u.queue("basket"), "OrderStockConfirmedIntegrationEvent", u.exchange, false, nil)
	wantRefused(t, "basket binds its queue to ordering's OrderStockConfirmedIntegrationEvent", err)
}

// No user but the operator's may delete the shared exchange or declare it
// (definitions.json declares it): a compromised service could otherwise
// delete it, and every binding of every service with it.
func TestNoServicesBrokerUserMayDeleteOrDeclareTheExchange(t *testing.T) {
	u := loadBrokerUsers(t)
	u.declare(t)
	for _, user := range append(slices.Clone(busServices), operatorUsers...) {
		wantRefused(t, user+" deletes the exchange", u.channel(t, user).ExchangeDelete(u.exchange, false, false))
		wantRefused(t, user+" declares the exchange",
			u.channel(t, user).ExchangeDeclare(u.exchange, amqp.ExchangeTopic, true, false, false, false, nil))
	}
}

// A service's bus does not create the exchange, which its user may not:
// without it (the operator declares it), its readiness says so.
func TestAServiceBusRunningAsItsUserReportsAMissingExchange(t *testing.T) {
	u := loadBrokerUsers(t)
	if err := testkit.Channel(t, u.prefix+"-operator").ExchangeDelete(u.exchange, false, false); err != nil {
		t.Fatal(err)
	}
	bus := testkit.StartBus(t, rabbitmq.Config{URL: u.url(t, "catalog"), Exchange: u.exchange, AppID: u.queue("catalog")})
	var reported error
	testkit.WaitFor(t, "the bus to report the missing exchange", func() bool {
		reported = bus.Check(context.Background())
		return reported != nil && strings.Contains(reported.Error(), "NOT_FOUND")
	})
	if !strings.Contains(reported.Error(), "deploy/rabbitmq/definitions.json") {
		t.Fatalf("Check = %v, want it to say who declares the exchange", reported)
	}
}

// The bus sends failed messages to wait and parked ones on their way to
// the dead-letter queue itself; under its service's user both must still
// work, and the publisher's event gets through.
func TestAServiceBusRunningAsItsUserRetriesAndParks(t *testing.T) {
	u := loadBrokerUsers(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	config := func(service string) rabbitmq.Config {
		return rabbitmq.Config{
			URL: u.url(t, service), Exchange: u.exchange, Queue: u.queue(service),
			MaxAttempts: 3, RetryBackoff: 5 * time.Millisecond,
		}
	}

	basket := testkit.StartBus(t, config("basket"))
	var attempts atomic.Int32
	if _, err := basket.Subscribe(ctx, "ProductPriceChangedIntegrationEvent", func(context.Context, eventbus.Message) error {
		attempts.Add(1)
		return errors.New("basket store down")
	}); err != nil {
		t.Fatalf("basket subscribes as its user: %v", err)
	}
	price := eventbus.Message{ID: uuid.New(), Name: "ProductPriceChangedIntegrationEvent", Time: time.Now().UTC(), Body: []byte(`{}`)}
	if err := testkit.StartBus(t, config("catalog")).Publish(ctx, price); err != nil {
		t.Fatalf("catalog publishes its event as its user: %v", err)
	}

	// The operator reads the dead-letter queue (testkit as guest); the
	// service's user may not.
	parked := testkit.WaitParked(t, u.queue("basket"), 1)
	if p := parked[0]; len(parked) != 1 || p.ID != price.ID || p.Reason != rabbitmq.ReasonFailed || p.Attempts != 3 {
		t.Fatalf("parked %+v, want the price change, failed after 3 attempts", parked)
	}
	if got := attempts.Load(); got != 3 {
		t.Errorf("handler ran %d times, want 3 (two retries through the wait queue)", got)
	}
}

// The webapp's user binds its queue to the order statuses it shows, and to
// nothing else (not StockConfirmed, which carries the payment token), and
// publishes nothing.
func TestTheWebappsBrokerUserBindsTheStatusesItShowsAndPublishesNothing(t *testing.T) {
	u := loadBrokerUsers(t)
	u.declare(t, "webapp")
	for _, status := range []string{"Submitted", "AwaitingValidation", "Paid", "Shipped", "Cancelled"} {
		if err := u.channel(t, "webapp").QueueBind(u.queue("webapp"), "OrderStatusChangedTo"+status+"IntegrationEvent", u.exchange, false, nil); err != nil {
			t.Fatalf("webapp binds its queue to %s: %v", status, err)
		}
	}
	err := u.channel(t, "webapp").QueueBind(u.queue("webapp"), "OrderStatusChangedToStockConfirmedIntegrationEvent", u.exchange, false, nil)
	wantRefused(t, "webapp binds its queue to OrderStatusChangedToStockConfirmedIntegrationEvent", err)
	wantRefused(t, "webapp publishes OrderStatusChangedToPaidIntegrationEvent",
		publish(t, u.channel(t, "webapp"), u.exchange, "OrderStatusChangedToPaidIntegrationEvent"))
}

// The events user (make events) binds a queue the broker names to every
// event, and reads it; it publishes nothing, and reaches no service's queue.
func TestTheEventsUserTailsEveryEventAndPublishesNothing(t *testing.T) {
	u := loadBrokerUsers(t)
	u.declare(t, "basket")
	tail := u.channel(t, "events")
	// The demo's watcher checks that the exchange is there first.
	if err := tail.ExchangeDeclarePassive(u.exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatalf("events checks the exchange: %v", err)
	}
	q, err := tail.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatalf("events declares a queue the broker names: %v", err)
	}
	if err := tail.QueueBind(q.Name, "#", u.exchange, false, nil); err != nil {
		t.Fatalf("events binds its queue to every event: %v", err)
	}
	deliveries, err := tail.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatalf("events consumes its queue: %v", err)
	}
	if err := publish(t, u.channel(t, "catalog"), u.exchange, "ProductPriceChangedIntegrationEvent"); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-deliveries:
		if d.Type != "ProductPriceChangedIntegrationEvent" {
			t.Errorf("the tail got %q, want the price change", d.Type)
		}
	case <-time.After(testkit.Patience):
		t.Fatal("the tail did not get the event")
	}
	wantRefused(t, "events publishes ProductPriceChangedIntegrationEvent",
		publish(t, u.channel(t, "events"), u.exchange, "ProductPriceChangedIntegrationEvent"))
	_, err = u.channel(t, "events").Consume(u.queue("basket"), "", false, false, false, false, nil)
	wantRefused(t, "events consumes basket's queue", err)
	err = u.channel(t, "events").QueueBind(u.queue("basket"), "#", u.exchange, false, nil)
	wantRefused(t, "events binds basket's queue", err)
}
