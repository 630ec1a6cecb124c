package deploy

import (
	"context"
	"errors"
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
// users (testkit.LoadBrokerUsers).
type brokerUsers struct{ testkit.BrokerUsers }

func loadBrokerUsers(t *testing.T) brokerUsers {
	t.Helper()
	return brokerUsers{testkit.LoadBrokerUsers(t, definitionsFile, append(slices.Clone(busServices), operatorUsers...)...)}
}

// channel opens a confirm channel as service's user, closed with the test.
func (u brokerUsers) channel(t *testing.T, service string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.DialConfig(u.URL(t, service), amqp.Config{Properties: amqp.Table{"connection_name": u.Prefix + "-" + service}})
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

	ch := u.channel(t, "basket")
	if err := publish(t, ch, u.Exchange, "UserCheckoutAcceptedIntegrationEvent"); err != nil {
		t.Fatalf("basket publishes its own UserCheckoutAcceptedIntegrationEvent: %v", err)
	}
	wantRefused(t, "basket publishes catalog's ProductPriceChangedIntegrationEvent",
		publish(t, ch, u.Exchange, "ProductPriceChangedIntegrationEvent"))
	// Nor can it reach another service's queue by name, around the exchange.
	wantRefused(t, "basket publishes into ordering's queue through the default exchange",
		publish(t, u.channel(t, "basket"), "", u.Queue("ordering")))
}

func TestBasketsBrokerUserConsumesOnlyItsOwnQueue(t *testing.T) {
	u := loadBrokerUsers(t)

	if _, err := u.channel(t, "basket").Consume(u.Queue("basket"), "", false, false, false, false, nil); err != nil {
		t.Fatalf("basket consumes its own queue: %v", err)
	}
	_, err := u.channel(t, "basket").Consume(u.Queue("catalog"), "", false, false, false, false, nil)
	wantRefused(t, "basket consumes catalog's queue", err)

	if err := u.channel(t, "basket").QueueBind(u.Queue("basket"), "ProductPriceChangedIntegrationEvent", u.Exchange, false, nil); err != nil {
		t.Fatalf("basket binds its queue to an event it consumes: %v", err)
	}
	err = u.channel(t, "basket").QueueBind(u.Queue("basket"), "OrderStockConfirmedIntegrationEvent", u.Exchange, false, nil)
	wantRefused(t, "basket binds its queue to ordering's OrderStockConfirmedIntegrationEvent", err)
}

// No user but the operator's may delete the shared exchange or declare it
// (definitions.json declares it): a compromised service could otherwise
// delete it, and every binding of every service with it.
func TestNoServicesBrokerUserMayDeleteOrDeclareTheExchange(t *testing.T) {
	u := loadBrokerUsers(t)
	for _, user := range append(slices.Clone(busServices), operatorUsers...) {
		wantRefused(t, user+" deletes the exchange", u.channel(t, user).ExchangeDelete(u.Exchange, false, false))
		wantRefused(t, user+" declares the exchange",
			u.channel(t, user).ExchangeDeclare(u.Exchange, amqp.ExchangeTopic, true, false, false, false, nil))
	}
}

// A service's bus does not create the exchange, which its user may not:
// without it (the operator declares it), its readiness says so.
func TestAServiceBusRunningAsItsUserReportsAMissingExchange(t *testing.T) {
	u := loadBrokerUsers(t)
	if err := testkit.Channel(t, u.Prefix+"-operator").ExchangeDelete(u.Exchange, false, false); err != nil {
		t.Fatal(err)
	}
	bus := testkit.StartBus(t, rabbitmq.Config{URL: u.URL(t, "catalog"), Exchange: u.Exchange, AppID: u.Queue("catalog")})
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
			URL: u.URL(t, service), Exchange: u.Exchange, Queue: u.Queue(service),
			MaxAttempts: 3, RetryBackoff: 5 * time.Millisecond, PublisherUsers: u.PublisherUsers(),
		}
	}

	basket := testkit.StartBus(t, config("basket"))
	var attempts atomic.Int32
	if _, err := basket.Subscribe(ctx, eventbus.Route{EventName: "ProductPriceChangedIntegrationEvent", Publisher: "catalog", Handler: func(context.Context, eventbus.Message) error {
		attempts.Add(1)
		return errors.New("basket store down")
	}}); err != nil {
		t.Fatalf("basket subscribes as its user: %v", err)
	}
	price := eventbus.Message{ID: uuid.New(), Name: "ProductPriceChangedIntegrationEvent", Time: time.Now().UTC(), Body: []byte(`{}`)}
	if err := testkit.StartBus(t, config("catalog")).Publish(ctx, price); err != nil {
		t.Fatalf("catalog publishes its event as its user: %v", err)
	}

	// The operator reads the dead-letter queue (testkit as guest); the
	// service's user may not.
	parked := testkit.WaitParked(t, u.Queue("basket"), 1)
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
	for _, status := range []string{"Submitted", "AwaitingValidation", "Paid", "Shipped", "Cancelled"} {
		if err := u.channel(t, "webapp").QueueBind(u.Queue("webapp"), "OrderStatusChangedTo"+status+"IntegrationEvent", u.Exchange, false, nil); err != nil {
			t.Fatalf("webapp binds its queue to %s: %v", status, err)
		}
	}
	err := u.channel(t, "webapp").QueueBind(u.Queue("webapp"), "OrderStatusChangedToStockConfirmedIntegrationEvent", u.Exchange, false, nil)
	wantRefused(t, "webapp binds its queue to OrderStatusChangedToStockConfirmedIntegrationEvent", err)
	wantRefused(t, "webapp publishes OrderStatusChangedToPaidIntegrationEvent",
		publish(t, u.channel(t, "webapp"), u.Exchange, "OrderStatusChangedToPaidIntegrationEvent"))
}

// The events user (make events) binds a queue the broker names to every
// event, and reads it; it publishes nothing, and reaches no service's queue.
func TestTheEventsUserTailsEveryEventAndPublishesNothing(t *testing.T) {
	u := loadBrokerUsers(t)
	tail := u.channel(t, "events")
	// The demo's watcher checks that the exchange is there first.
	if err := tail.ExchangeDeclarePassive(u.Exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		t.Fatalf("events checks the exchange: %v", err)
	}
	q, err := tail.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatalf("events declares a queue the broker names: %v", err)
	}
	if err := tail.QueueBind(q.Name, "#", u.Exchange, false, nil); err != nil {
		t.Fatalf("events binds its queue to every event: %v", err)
	}
	deliveries, err := tail.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatalf("events consumes its queue: %v", err)
	}
	if err := publish(t, u.channel(t, "catalog"), u.Exchange, "ProductPriceChangedIntegrationEvent"); err != nil {
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
		publish(t, u.channel(t, "events"), u.Exchange, "ProductPriceChangedIntegrationEvent"))
	_, err = u.channel(t, "events").Consume(u.Queue("basket"), "", false, false, false, false, nil)
	wantRefused(t, "events consumes basket's queue", err)
	err = u.channel(t, "events").QueueBind(u.Queue("basket"), "#", u.Exchange, false, nil)
	wantRefused(t, "events binds basket's queue", err)
}

// No service's user may delete, or declare anew with other arguments, a
// queue or exchange of its own that can route a message elsewhere: a
// queue's dead-letter arguments send its messages on without topic
// authorisation. (Before, the storefront's user could delete its wait
// queue and declare it again dead-lettering into the shop's exchange as a
// price change, although it may publish nothing.)
func TestNoServicesBrokerUserMayReArgueOrDeleteItsQueues(t *testing.T) {
	u := loadBrokerUsers(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	for _, service := range busServices {
		q := u.Queue(service)
		// The operator declared them (definitions.json) as the bus
		// declares them: the bus, as the administrator, declares them
		// again without a difference the broker would refuse.
		operator := testkit.StartBus(t, rabbitmq.Config{Exchange: u.Exchange, Queue: q, AppID: u.Prefix + "-operator"})
		if _, err := operator.Subscribe(ctx, eventbus.Route{EventName: "Nothing", Publisher: "nobody", Handler: func(context.Context, eventbus.Message) error { return nil }}); err != nil {
			t.Fatalf("%s's queues as definitions.json declares them differ from the bus's: %v", service, err)
		}
		toTheShop := amqp.Table{
			amqp.QueueTypeArg: amqp.QueueTypeQuorum, "x-dead-letter-exchange": u.Exchange,
			"x-dead-letter-routing-key": "ProductPriceChangedIntegrationEvent", "x-message-ttl": int32(10),
		}
		for _, name := range []string{q, q + ".wait", q + ".dlq"} {
			_, err := u.channel(t, service).QueueDelete(name, false, false, false)
			wantRefused(t, service+" deletes "+name, err)
			_, err = u.channel(t, service).QueueDeclare(name, true, false, false, false, toTheShop)
			wantRefused(t, service+" declares "+name+" dead-lettering into the shop's exchange", err)
		}
		for _, name := range []string{q + ".dlx", q + ".requeue"} {
			wantRefused(t, service+" deletes "+name, u.channel(t, service).ExchangeDelete(name, false, false))
		}
	}
	// Nor may the event tail's user make its server-named queue
	// dead-letter into the shop's exchange.
	_, err := u.channel(t, "events").QueueDeclare("", false, true, true, false, amqp.Table{
		"x-dead-letter-exchange": u.Exchange, "x-dead-letter-routing-key": "ProductPriceChangedIntegrationEvent",
	})
	wantRefused(t, "events declares a queue dead-lettering into the shop's exchange", err)
}

// consume starts a bus as service's user that counts each call of a
// handler of the events named (event name: publishing service).
func (u brokerUsers) consume(t *testing.T, ctx context.Context, service string, events map[string]string) *atomic.Int32 {
	t.Helper()
	bus := testkit.StartBus(t, rabbitmq.Config{
		URL: u.URL(t, service), Exchange: u.Exchange, Queue: u.Queue(service),
		PublisherUsers: u.PublisherUsers(),
	})
	calls := new(atomic.Int32)
	for name, publisher := range events {
		if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: name, Publisher: publisher,
			Handler: func(context.Context, eventbus.Message) error { calls.Add(1); return nil }}); err != nil {
			t.Fatalf("%s subscribes %s as its user: %v", service, name, err)
		}
	}
	return calls
}

// wantForged fails the test unless service's dead-letter queue holds just
// the message id, parked as forged, and its handlers never ran.
func (u brokerUsers) wantForged(t *testing.T, service, id string, calls *atomic.Int32) {
	t.Helper()
	parked := testkit.WaitParked(t, u.Queue(service), 1)
	if p := parked[0]; p.ID.String() != id || p.Reason != rabbitmq.ReasonForged {
		t.Fatalf("%s parked %+v, want %s as forged", service, parked, id)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%s's handlers ran %d times, want 0", service, n)
	}
}

// A message routed as basket's checkout but typed as catalog's stock
// confirmation, published with basket's own user (which may publish
// checkouts), reaches ordering's queue; ordering's bus, running as its
// user, parks it as forged and runs neither handler. (Before, it
// confirmed the order's stock, and payment then paid it.)
func TestACheckoutTypedAsAStockConfirmationFromBasketsUserIsParkedAsForged(t *testing.T) {
	u := loadBrokerUsers(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	calls := u.consume(t, ctx, "ordering", map[string]string{
		"UserCheckoutAcceptedIntegrationEvent": "basket", "OrderStockConfirmedIntegrationEvent": "catalog",
	})

	ch := u.channel(t, "basket")
	forged := testkit.EventMessage("OrderStockConfirmedIntegrationEvent", uuid.NewString(), "basket", []byte(`{"OrderId":1}`))
	forged.UserId = u.Queue("basket")
	confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, u.Exchange, "UserCheckoutAcceptedIntegrationEvent", false, false, forged)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := confirm.WaitContext(ctx); err != nil || !ok {
		t.Fatalf("the broker took basket's checkout: %v, %v", ok, err)
	}

	u.wantForged(t, "ordering", forged.MessageId, calls)
}

// A user may not publish in another's name: the broker refuses a user_id
// that is not the connection's user, and a message whose user_id is not
// its event's publisher's (here the administrator's, which topic
// permissions do not hold back) is parked as forged.
func TestAMessageInAnotherUsersNameIsRefusedOrParked(t *testing.T) {
	u := loadBrokerUsers(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	calls := u.consume(t, ctx, "basket", map[string]string{"ProductPriceChangedIntegrationEvent": "catalog"})

	// ordering may publish OrderStarted, but not as catalog.
	spoofed := testkit.EventMessage("OrderStartedIntegrationEvent", uuid.NewString(), "ordering", []byte(`{}`))
	spoofed.UserId = u.Queue("catalog")
	ch := u.channel(t, "ordering")
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	if err := ch.PublishWithContext(ctx, u.Exchange, "OrderStartedIntegrationEvent", false, false, spoofed); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-closed:
		if err == nil || err.Code != amqp.PreconditionFailed || !strings.Contains(err.Reason, "user_id") {
			t.Errorf("ordering's user claims catalog's user_id: channel closed with %v, want PRECONDITION_FAILED on user_id", err)
		}
	case <-ctx.Done():
		t.Fatal("ordering's user claimed catalog's user_id and the broker did not refuse")
	}

	asAdmin := testkit.EventMessage("ProductPriceChangedIntegrationEvent", uuid.NewString(), "catalog", []byte(`{}`))
	testkit.PublishEvent(t, u.Exchange, asAdmin)
	u.wantForged(t, "basket", asAdmin.MessageId, calls)
}
