package rabbitmq_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// A broker that still has the direct exchange of an earlier version refuses
// the topic exchange's declaration (PRECONDITION_FAILED); the bus must say
// what to do about it where an operator looks: its readiness check.
func TestAnOldDirectExchangeIsReportedWithWhatToDo(t *testing.T) {
	tb, ctx := newTestBroker(t)
	if err := testkit.Channel(t, "").ExchangeDeclare(tb.exchange, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	bus := tb.bus(tb.config("basket"))
	var reported error
	testkit.WaitFor(t, "the bus to report the exchange's type", func() bool {
		reported = bus.Check(ctx)
		return reported != nil && strings.Contains(reported.Error(), "PRECONDITION_FAILED")
	})
	if !strings.Contains(reported.Error(), "delete it or choose another EVENTBUS_EXCHANGE") {
		t.Fatalf("Check = %v, want it to say what to do about the old exchange", reported)
	}
}

// So is a wait queue of an earlier version, which dead-lettered through the
// default exchange: the service's user may not write there, so the wait
// queue now dead-letters through "<queue>.requeue".
func TestAnOldWaitQueueIsReportedWithWhatToDo(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	if _, err := testkit.Channel(t, "").QueueDeclare(cfg.Queue+".wait", true, false, false, false, amqp.Table{
		amqp.QueueTypeArg:           amqp.QueueTypeQuorum,
		"x-dead-letter-exchange":    "",
		"x-dead-letter-routing-key": cfg.Queue,
	}); err != nil {
		t.Fatal(err)
	}
	bus := tb.bus(cfg)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := bus.Subscribe(ctx, eventbus.Route{EventName: "OrderStartedIntegrationEvent", Publisher: testPublisher, Handler: bustest.NewSeen().Handle})
	if err == nil || !strings.Contains(err.Error(), "PRECONDITION_FAILED") || !strings.Contains(err.Error(), "wait 10 s for it to empty, then delete it") {
		t.Fatalf("Subscribe = %v, want the wait queue's PRECONDITION_FAILED and what to do", err)
	}
}
