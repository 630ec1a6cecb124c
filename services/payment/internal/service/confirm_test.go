package service_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The broker refuses to confirm the answer (a queue bound to it is full and
// rejects publishes): payment keeps the request unacknowledged for as long
// as that lasts. The proof: when payment's connections break, the broker
// gives the request back to the queue, which it does only with a message it
// delivered and did not see acknowledged. Once the answer can be confirmed,
// the request is answered, with one answer id, and acknowledged.
func TestNoAckBeforeTheAnswerIsConfirmed(t *testing.T) {
	b, cfg := newBroker(t)
	blocker := b.answers + "_blocker"
	if _, err := b.ch.QueueDeclare(blocker, true, false, false, false, amqp.Table{
		amqp.QueueMaxLenArg: 0, amqp.QueueOverflowArg: amqp.QueueOverflowRejectPublish,
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.ch.QueueBind(blocker, succeeded, b.exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	server, err := url.Parse(testkit.RabbitURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := testkit.NewProxy(t, server.Host)
	cfg.RabbitMQURL = proxy.URL(testkit.RabbitURL())
	logs := &testkit.LogBuffer{}
	p := startPaymentLogging(t, cfg, logs)

	request := b.request(7)
	testkit.WaitFor(t, "the broker to refuse the answer", func() bool {
		return strings.Contains(logs.String(), "broker refused a message")
	})
	if n := b.readyQuorum(); n != 0 {
		t.Fatalf("%d requests ready while payment handles the only one", n)
	}
	proxy.Cut()
	testkit.WaitFor(t, "the broker to give the unacknowledged request back", func() bool { return b.readyQuorum() == 1 })

	if _, err := b.ch.QueueDelete(blocker, false, false, false); err != nil {
		t.Fatal(err)
	}
	proxy.Restore()
	// The handler that was cut off publishes its answer on the new link;
	// the request it could not acknowledge is delivered again and answered
	// again, with the same answer id.
	testkit.WaitFor(t, "both answers", func() bool { return strings.Count(logs.String(), `"msg":"payment answered"`) == 2 })
	if err := p.stop(); err != nil {
		t.Fatalf("payment stopped with an error: %v", err)
	}
	if n := b.readyQuorum(); n != 0 {
		t.Fatalf("%d requests left in payment's queue after it answered", n)
	}
	// The answers queue also holds the copies the blocker refused (a refused
	// publish still reaches the other queues); all carry one id.
	checkAnswers(t, b.drain(), map[uuid.UUID]int{request: 7}, succeeded, false)
}
