package testkit

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	amqp "github.com/rabbitmq/amqp091-go"
)

// RabbitURL is the AMQP URL of the RabbitMQ broker the tests use.
func RabbitURL() string {
	if u := os.Getenv("TEST_RABBITMQ_URL"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

// RabbitUser is the user of [RabbitURL]: the user_id of what a bus or
// [PublishEvent] publishes there.
func RabbitUser() string {
	u, err := amqp.ParseURI(RabbitURL())
	if err != nil {
		panic(fmt.Sprintf("testkit: TEST_RABBITMQ_URL: %v", err))
	}
	return u.Username
}

// Broker returns a unique exchange name and a unique name prefix for this
// test's queues (and connections). When the test ends, the exchange and every
// queue and exchange whose name starts with them are deleted, so nothing is
// left on the broker. It fails the test when the broker does not answer.
func Broker(t testing.TB) (exchange, prefix string) {
	t.Helper()
	conn, err := amqp.Dial(RabbitURL())
	if err != nil {
		t.Fatalf("testkit: RabbitMQ at %s does not answer (run `make deps`): %v", redact(RabbitURL()), err)
	}
	conn.Close()
	prefix = UniqueName(t, "t")
	exchange = prefix + "_x"
	t.Cleanup(func() { deleteBrokerObjects(t, prefix) })
	return exchange, prefix
}

// StartBus starts an event bus with cfg (on the test broker when cfg.URL is
// empty), closed when the test ends; a failing Close fails the test. Unless
// cfg says otherwise, every publisher connects as [RabbitUser], as the
// tests' buses and [PublishEvent] do.
func StartBus(t testing.TB, cfg rabbitmq.Config) *rabbitmq.Bus {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = RabbitURL()
	}
	if cfg.PublisherUsers == nil {
		cfg.PublisherUsers = map[string]string{"*": RabbitUser()}
	}
	bus, err := rabbitmq.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("testkit: start the bus: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Patience)
		defer cancel()
		if err := bus.Close(ctx); err != nil {
			t.Errorf("testkit: close the bus: %v", err)
		}
	})
	return bus
}

// deleteBrokerObjects deletes the queues and exchanges whose names start
// with prefix. rabbitmqctl lists them; AMQP deletes them.
func deleteBrokerObjects(t testing.TB, prefix string) {
	queues, qerr := rabbitmqctlList("list_queues", "name")
	exchanges, xerr := rabbitmqctlList("list_exchanges", "name")
	if qerr != nil || xerr != nil {
		t.Errorf("testkit: list broker objects: %v %v", qerr, xerr)
		return
	}
	conn, err := amqp.Dial(RabbitURL())
	if err != nil {
		t.Errorf("testkit: delete broker objects: %v", err)
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Errorf("testkit: delete broker objects: %v", err)
		return
	}
	defer ch.Close()
	for _, q := range queues {
		if strings.HasPrefix(q[0], prefix) {
			if _, err := ch.QueueDelete(q[0], false, false, false); err != nil {
				t.Errorf("testkit: delete queue %s: %v", q[0], err)
				return
			}
		}
	}
	for _, x := range exchanges {
		if strings.HasPrefix(x[0], prefix) {
			if err := ch.ExchangeDelete(x[0], false, false); err != nil {
				t.Errorf("testkit: delete exchange %s: %v", x[0], err)
				return
			}
		}
	}
}

// CloseConnections makes the broker close every client connection whose
// name contains substr (the name a client gives in its connection_name
// property), as `rabbitmqctl close_all_connections` would, but without
// touching other tests' connections. It returns how many it closed.
func CloseConnections(t testing.TB, substr string) int {
	t.Helper()
	conns, err := rabbitmqctlList("list_connections", "pid", "client_properties")
	if err != nil {
		t.Fatalf("testkit: list connections: %v", err)
	}
	closed := 0
	for _, c := range conns {
		if len(c) < 2 || !strings.Contains(c[1], substr) {
			continue
		}
		if out, err := rabbitmqctl("close_connection", c[0], "testkit: forced close"); err != nil {
			// The connection may have gone on its own meanwhile.
			t.Logf("testkit: close connection %s: %v: %s", c[0], err, out)
			continue
		}
		closed++
	}
	return closed
}

// rabbitmqctlList runs a rabbitmqctl list command and splits its rows into
// tab-separated columns.
func rabbitmqctlList(args ...string) ([][]string, error) {
	out, err := rabbitmqctl(append(args, "--quiet", "--no-table-headers")...)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, out)
	}
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows, sc.Err()
}

// rabbitmqctl runs the broker's control tool (RABBITMQCTL overrides the
// command, e.g. "docker compose exec -T rabbitmq rabbitmqctl").
func rabbitmqctl(args ...string) ([]byte, error) {
	return rabbitmqctlWithInput(nil, args...)
}

// rabbitmqctlWithInput runs rabbitmqctl with stdin as its standard input.
func rabbitmqctlWithInput(stdin []byte, args ...string) ([]byte, error) {
	cmd := strings.Fields(os.Getenv("RABBITMQCTL"))
	if len(cmd) == 0 {
		cmd = []string{"rabbitmqctl"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, cmd[0], append(cmd[1:], args...)...)
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	return c.CombinedOutput()
}

// QueueLength returns the number of messages ready in queue (not delivered,
// or delivered and given back).
func QueueLength(t testing.TB, queue string) int {
	t.Helper()
	ch, close := dial(t, "")
	defer close()
	q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("queue %s: %v", queue, err)
	}
	return q.Messages
}

// WaitQueueDrained waits until queue holds no message, ready or
// unacknowledged: every delivery so far was handled and acknowledged.
func WaitQueueDrained(t testing.TB, queue string) {
	t.Helper()
	WaitFor(t, "queue "+queue+" to drain", func() bool {
		rows, err := rabbitmqctlList("list_queues", "name", "messages")
		if err != nil {
			t.Fatalf("rabbitmqctl list_queues: %v", err)
		}
		for _, r := range rows {
			if len(r) == 2 && r[0] == queue {
				return r[1] == "0"
			}
		}
		t.Fatalf("queue %s is not on the broker", queue)
		return false
	})
}

// Channel opens a channel on a connection of the test's own, named name on
// the broker ("" for no name), closed when the test ends.
func Channel(t testing.TB, name string) *amqp.Channel {
	t.Helper()
	ch, close := dial(t, name)
	t.Cleanup(close)
	return ch
}

// dial opens a channel on a connection of its own, named name on the broker
// ("" for no name); close closes the connection.
func dial(t testing.TB, name string) (ch *amqp.Channel, close func()) {
	t.Helper()
	cfg := amqp.Config{}
	if name != "" {
		cfg.Properties = amqp.Table{"connection_name": name}
	}
	conn, err := amqp.DialConfig(RabbitURL(), cfg)
	if err != nil {
		t.Fatalf("testkit: RabbitMQ at %s does not answer (run `make deps`): %v", redact(RabbitURL()), err)
	}
	ch, err = conn.Channel()
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	return ch, func() { conn.Close() }
}
