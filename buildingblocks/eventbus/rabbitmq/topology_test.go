package rabbitmq_test

import (
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// A broker that still has the direct exchange of an earlier version refuses
// the topic exchange's declaration (PRECONDITION_FAILED); the bus must say
// what to do about it where an operator looks: its readiness check.
func TestAnOldDirectExchangeIsReportedWithWhatToDo(t *testing.T) {
	tb := newTestBroker(t)
	if err := tb.raw().ExchangeDeclare(tb.exchange, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	bus := tb.bus(tb.config("basket"))
	var reported error
	testkit.WaitFor(t, "the bus to report the exchange's type", func() bool {
		reported = bus.Check(within(t))
		return reported != nil && strings.Contains(reported.Error(), "PRECONDITION_FAILED")
	})
	if !strings.Contains(reported.Error(), "delete it or choose another EVENTBUS_EXCHANGE") {
		t.Fatalf("Check = %v, want it to say what to do about the old exchange", reported)
	}
}
