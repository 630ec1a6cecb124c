package service_test

import (
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
	mq := testkit.NewBrokerProxy(t)
	s, b := startPayment(t, map[string]string{"RABBITMQ_URL": mq.URL(testkit.RabbitURL())}, nil)
	blocker := b.answers + "_blocker"
	if _, err := b.ch.QueueDeclare(blocker, true, false, false, false, amqp.Table{
		amqp.QueueMaxLenArg: 0, amqp.QueueOverflowArg: amqp.QueueOverflowRejectPublish,
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.ch.QueueBind(blocker, succeeded, b.exchange, false, nil); err != nil {
		t.Fatal(err)
	}

	request := b.request(7)
	// A publish the blocker refuses still reaches the other queues bound to
	// its name: each answer in the test's queue now is one the broker
	// refused to confirm.
	testkit.WaitFor(t, "the broker to refuse the answer", func() bool { return b.answersQueued() >= 1 })
	if n := b.requestsReady(); n != 0 {
		t.Fatalf("%d requests ready while payment handles the only one", n)
	}
	mq.Cut()
	testkit.WaitFor(t, "the broker to give the unacknowledged request back", func() bool { return b.requestsReady() == 1 })
	refused := b.answersQueued()

	if _, err := b.ch.QueueDelete(blocker, false, false, false); err != nil {
		t.Fatal(err)
	}
	mq.Restore()
	// The handler that was cut off publishes its answer on the new link;
	// the request it could not acknowledge is delivered again and answered
	// again, with the same answer id: two confirmed answers.
	testkit.WaitFor(t, "both answers", func() bool { return b.answersQueued() >= refused+2 })
	testkit.WaitQueueDrained(t, s.Queue)
	// The answers queue also holds the copies the blocker refused; all
	// carry one id.
	checkAnswers(t, b.drain(), map[uuid.UUID]int{request: 7}, succeeded, false)
}
