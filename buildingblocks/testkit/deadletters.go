package testkit

import (
	"context"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
)

// WaitParked waits until the dead-letter queue of queue holds n messages
// and returns them, oldest first, each with why it was parked. The
// messages stay parked.
func WaitParked(t testing.TB, queue string, n int) []rabbitmq.DeadLetter {
	t.Helper()
	WaitFor(t, "messages parked in "+rabbitmq.DeadLetterQueue(queue), func() bool {
		return QueueLength(t, rabbitmq.DeadLetterQueue(queue)) >= n
	})
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	parked, err := rabbitmq.ListDeadLetters(ctx, rabbitmq.Config{URL: RabbitURL(), Queue: queue})
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != n {
		t.Fatalf("%d messages parked in %s, want %d", len(parked), rabbitmq.DeadLetterQueue(queue), n)
	}
	return parked
}
