package testkit

import (
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// RestartBroker stops the broker (`rabbitmqctl stop_app`), keeps it down for
// downtime and starts it again, returning once it accepts connections. Every
// test that uses the broker at the time sees the outage: call it only from
// tests built with the `disruptive` tag, which `make test` runs alone.
func RestartBroker(t testing.TB, downtime time.Duration) {
	t.Helper()
	if out, err := rabbitmqctl("stop_app"); err != nil {
		t.Fatalf("testkit: stop the broker: %v: %s", err, out)
	}
	// Whatever happens next, the broker must come back for the others.
	defer func() {
		if out, err := rabbitmqctl("start_app"); err != nil {
			t.Fatalf("testkit: start the broker: %v: %s", err, out)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			conn, err := amqp.Dial(RabbitURL())
			if err == nil {
				conn.Close()
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("testkit: the broker does not answer after its restart: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	time.Sleep(downtime)
}

// BlockPublishers raises a memory alarm on the broker (`rabbitmqctl
// set_vm_memory_high_watermark`), so that it blocks every publishing
// connection, until the returned function (also run when the test ends)
// puts the watermark back. Only for tests built with the `disruptive` tag.
func BlockPublishers(t testing.TB) (unblock func()) {
	t.Helper()
	if out, err := rabbitmqctl("set_vm_memory_high_watermark", "0.000001"); err != nil {
		t.Fatalf("testkit: raise a memory alarm: %v: %s", err, out)
	}
	var once sync.Once
	unblock = func() {
		once.Do(func() {
			if out, err := rabbitmqctl("set_vm_memory_high_watermark", "0.4"); err != nil {
				t.Errorf("testkit: clear the memory alarm: %v: %s", err, out)
			}
		})
	}
	t.Cleanup(unblock)
	return unblock
}
