package rabbitmq_test

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

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// crashChildEnv, when set, makes the test binary a service that consumes
// the queue it names and dies on a poison event (see runCrashChild).
const crashChildEnv = "EVENTBUS_TEST_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		runCrashChild(spec)
		return
	}
	os.Exit(m.Run())
}

// runCrashChild consumes "Work" events from the exchange and queue in spec
// ("exchange queue file"): it appends the id of each healthy one to file
// before it returns, and exits the process at once on one whose body
// holds "poison", as a handler that crashes its service does. It runs
// until it is killed.
func runCrashChild(spec string) {
	var exchange, queue, file string
	if _, err := fmt.Sscan(spec, &exchange, &queue, &file); err != nil {
		panic(err)
	}
	out, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		panic(err)
	}
	bus, err := rabbitmq.New(context.Background(), rabbitmq.Config{
		URL: testkit.RabbitURL(), Exchange: exchange, Queue: queue, AppID: queue,
		PublisherUsers: map[string]string{testPublisher: testkit.RabbitUser()},
	})
	if err != nil {
		panic(err)
	}
	_, err = bus.Subscribe(context.Background(), eventbus.Route{EventName: "Work", Publisher: testPublisher, Handler: func(_ context.Context, m eventbus.Message) error {
		if bytes.Contains(m.Body, []byte("poison")) {
			os.Exit(3)
		}
		time.Sleep(5 * time.Millisecond) // some work, during which the others wait their turn
		_, err := fmt.Fprintln(out, m.ID)
		return err
	}})
	if err != nil {
		panic(err)
	}
	select {}
}

// One event that kills its service each time it is handled is parked as
// a crash loop after CrashLoopDeliveries deaths, and only that one: the
// events delivered beside it (prefetched, or handled at the same time)
// are handled, not parked with it. Before, every delivery held by the
// dying process counted a death, and after 20 deaths the whole backlog
// was parked unhandled.
func TestOnlyTheEventThatKillsTheServiceIsParkedAsACrashLoop(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("crash")
	tb.declare(ctx, cfg, "Work")
	publisher := tb.bus(tb.config("publisher"))

	const healthy = 200
	poison := message("Work")
	poison.Body = fmt.Appendf(nil, `{"Id":%q,"poison":true}`, poison.ID)
	for i := range healthy {
		if i == 10 {
			if err := publisher.Publish(ctx, poison); err != nil {
				t.Fatal(err)
			}
		}
		if err := publisher.Publish(ctx, message("Work")); err != nil {
			t.Fatal(err)
		}
	}

	handledFile := t.TempDir() + "/handled"
	handled := func() int {
		data, err := os.ReadFile(handledFile)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		ids := map[uuid.UUID]bool{}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if id, err := uuid.Parse(strings.TrimSpace(sc.Text())); err == nil {
				ids[id] = true
			}
		}
		return len(ids)
	}
	parked := func() int { return testkit.QueueLength(t, rabbitmq.DeadLetterQueue(cfg.Queue)) }

	deaths := 0
	for life := 0; ; life++ {
		if life > 2*rabbitmq.CrashLoopDeliveries {
			t.Fatalf("after %d lives, %d deaths: %d handled, %d parked; want %d handled and the poison parked",
				life, deaths, handled(), parked(), healthy)
		}
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), crashChildEnv+"="+tb.exchange+" "+cfg.Queue+" "+handledFile)
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- child.Wait() }()
		done := false
		deadline := time.After(testkit.Patience)
	life:
		for {
			select {
			case <-exited:
				deaths++
				break life
			case <-deadline:
				_ = child.Process.Kill()
				<-exited
				t.Fatalf("life %d neither died nor finished: %d handled, %d parked", life, handled(), parked())
			case <-time.After(20 * time.Millisecond):
				if n := parked(); n > 1 {
					_ = child.Process.Kill()
					<-exited
					t.Fatalf("after %d deaths %d events are parked, %d handled; want only the poison parked", deaths, n, handled())
				}
				if handled() == healthy && parked() == 1 {
					_ = child.Process.Kill()
					<-exited
					done = true
					break life
				}
			}
		}
		if done {
			break
		}
	}

	dead := testkit.WaitParked(t, cfg.Queue, 1)
	if d := dead[0]; d.ID != poison.ID || d.Reason != rabbitmq.ReasonCrashLoop {
		t.Fatalf("parked %+v, want the poison event as a crash loop", dead)
	}
	if deaths < rabbitmq.CrashLoopDeliveries {
		t.Errorf("the service died %d times, want at least %d before the poison was parked", deaths, rabbitmq.CrashLoopDeliveries)
	}
	t.Logf("%d deaths, %d handled, the poison parked", deaths, handled())
}
