package bustest

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
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// crashChildEnv, when set, makes the test binary a service that consumes
// "Work" events and dies on a poison one (see runCrashChild): its value is
// the broker's name, the service and the file it writes, one a line.
const crashChildEnv = "EVENTBUS_TEST_CRASH_CHILD"

// Main runs a transport's tests (call it from TestMain), or, in the
// process the crash loop's case starts, the service that dies.
func Main(m *testing.M, tr Transport) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		runCrashChild(tr, spec)
		return
	}
	os.Exit(m.Run())
}

// runCrashChild consumes "Work" events as the service in spec: it appends
// the id of each healthy one to the file in spec before it returns, and
// exits the process at once on one whose body holds "poison", as a
// handler that crashes its service does. It runs until it is killed.
func runCrashChild(tr Transport, spec string) {
	var name, svc, file string
	if _, err := fmt.Sscanln(strings.ReplaceAll(spec, "\n", " "), &name, &svc, &file); err != nil {
		panic(err)
	}
	out, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		panic(err)
	}
	bus, err := tr.OpenBroker(name).Start(context.Background(), svc, Options{})
	if err != nil {
		panic(err)
	}
	_, err = bus.Subscribe(context.Background(), eventbus.Route{EventName: "Work", Publisher: Publisher, Handler: func(_ context.Context, m eventbus.Message) error {
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
// a crash loop after CrashLoopBound deaths, and only that one: the events
// delivered beside it (prefetched, or handled at the same time) are
// handled, not parked with it. The service is this test binary run again
// (Main), killed by the poison event each time.
func crashLoop(e *env) {
	bound := e.tr.Features.CrashLoopBound
	e.declare("crash", Options{}, "Work")
	publisher := e.bus("publisher", Options{})

	const healthy = 200
	poison := NewMessage("Work")
	poison.Body = fmt.Appendf(nil, `{"Id":%q,"poison":true}`, poison.ID)
	for i := range healthy {
		if i == 10 {
			if err := publisher.Publish(e.ctx, poison); err != nil {
				e.t.Fatal(err)
			}
		}
		PublishN(e.t, e.ctx, publisher, "Work", 1)
	}

	handledFile := e.t.TempDir() + "/handled"
	handled := func() int {
		data, err := os.ReadFile(handledFile)
		if err != nil && !os.IsNotExist(err) {
			e.t.Fatal(err)
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
	parked := func() int { return len(e.b.DeadLetters(e.t, e.ctx, "crash")) }

	deaths := 0
	for life := 0; ; life++ {
		if life > 2*bound {
			e.t.Fatalf("after %d lives, %d deaths: %d handled, %d parked; want %d handled and the poison parked",
				life, deaths, handled(), parked(), healthy)
		}
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), crashChildEnv+"="+strings.Join([]string{e.b.Name(), "crash", handledFile}, "\n"))
		if err := child.Start(); err != nil {
			e.t.Fatal(err)
		}
		if done := lifeOf(e, child, handled, parked, healthy, &deaths); done {
			break
		}
	}

	dead := e.waitParked("crash", 1)
	if d := dead[0]; len(dead) != 1 || d.ID != poison.ID || d.Reason != ReasonCrashLoop {
		e.t.Fatalf("parked %+v, want the poison event as a crash loop", dead)
	}
	if deaths < bound {
		e.t.Errorf("the service died %d times, want at least %d before the poison was parked", deaths, bound)
	}
	e.t.Logf("%d deaths, %d handled, the poison parked", deaths, handled())
}

// lifeOf watches one life of the dying service until it dies (it counts
// a death) or every healthy event is handled and the poison alone parked
// (it reports done and kills it); more than the poison parked fails the
// test.
func lifeOf(e *env, child *exec.Cmd, handled, parked func() int, healthy int, deaths *int) (done bool) {
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	kill := func() {
		_ = child.Process.Kill()
		<-exited
	}
	deadline := time.After(testkit.Patience)
	for {
		select {
		case <-exited:
			*deaths++
			return false
		case <-deadline:
			kill()
			e.t.Fatalf("a life neither died nor finished: %d handled, %d parked", handled(), parked())
		case <-time.After(20 * time.Millisecond):
			if n := parked(); n > 1 {
				kill()
				e.t.Fatalf("after %d deaths %d events are parked, %d handled; want only the poison parked", *deaths, n, handled())
			}
			if handled() == healthy && parked() == 1 {
				kill()
				return true
			}
		}
	}
}
