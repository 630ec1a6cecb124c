package testkit

import (
	"errors"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// PeekMessages returns the messages waiting in queue (a dead-letter queue,
// say) and leaves them there: they are taken unacknowledged and go back when
// its connection closes, before it returns. A queue that does not exist
// holds none.
func PeekMessages(t testing.TB, queue string) []amqp.Delivery {
	t.Helper()
	ch, close := dial(t, "")
	defer close()
	if _, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil); err != nil {
		var amqpErr *amqp.Error
		if errors.As(err, &amqpErr) && amqpErr.Code == amqp.NotFound {
			return nil
		}
		t.Fatalf("queue %s: %v", queue, err)
	}
	var out []amqp.Delivery
	for {
		d, ok, err := ch.Get(queue, false)
		if err != nil {
			t.Fatalf("queue %s: %v", queue, err)
		}
		if !ok {
			return out
		}
		out = append(out, d)
	}
}
