package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// fakeService stands in for a service binary under make run: it says hello
// on its log, is ready at once (the healthcheck subcommand looks for its
// mark), and on SIGTERM notes that it stopped; the one named in FAKE_DIE
// exits by itself with status 3 after a moment.
const fakeService = `#!/usr/bin/env bash
name=$(basename "$0")
port=${HTTP_ADDR#:}
if [ "${1:-}" = healthcheck ]; then [ -f "ready/$port" ]; exit; fi
trap 'echo "$name" >>stopped.log; exit 0' TERM
echo "{\"msg\":\"hello from $name\"}" >&2
mkdir -p ready && touch "ready/$port"
if [ "${FAKE_DIE:-}" = "$name" ]; then sleep 2; exit 3; fi
while :; do sleep 0.1; done
`

// fakePSQL answers run-local.sh's question about a database's owner with
// the service's role, as on a server set up by init.sql.
const fakePSQL = `#!/usr/bin/env bash
for a in "$@"; do
	case $a in *"datname = '"*) echo "$a" | sed -n "s/.*datname = '\(.*\)db'.*/\1/p" ;; esac
done
cat >/dev/null
`

// runLocal copies deploy/scripts/run-local.sh into a directory of its own
// with fake binaries, fake psql and rabbitmqctl, and starts it.
func runLocal(t *testing.T, env ...string) (cmd *exec.Cmd, root string, out *testkit.LogBuffer) {
	t.Helper()
	root = t.TempDir()
	for _, f := range []string{"deploy/scripts/run-local.sh", "deploy/scripts/ensure-deps.sh", "deploy/postgres/init.sql", "deploy/rabbitmq/definitions.json"} {
		raw := mustRead(t, filepath.Join("../..", f))
		os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(root, f), raw, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	for _, s := range services {
		if err := os.WriteFile(filepath.Join(root, "bin", s), []byte(fakeService), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "fake-psql"), []byte(fakePSQL), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("bash", "deploy/scripts/run-local.sh")
	cmd.Dir = root
	// The servers are the test's (they must answer); rabbitmqctl does
	// nothing (true) and lists no exchange.
	cmd.Env = append(os.Environ(), append([]string{"RABBITMQCTL=true", "PSQL=" + filepath.Join(root, "bin", "fake-psql"),
		"PG_HOST=127.0.0.1:5432", "AMQP_HOST=127.0.0.1:5672"}, env...)...)
	out = &testkit.LogBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, root, out
}

func stopped(root string) []string {
	raw, _ := os.ReadFile(filepath.Join(root, "stopped.log"))
	return strings.Fields(string(raw))
}

// When one service exits by itself, make run says which and stops the
// others.
func TestMakeRunStopsAllWhenOneServiceDies(t *testing.T) {
	cmd, root, out := runLocal(t, "FAKE_DIE=ordering")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("make run exited 0 after a service died")
		}
	case <-time.After(testkit.Patience):
		t.Fatalf("make run still runs after ordering died:\n%s", out)
	}
	if !strings.Contains(out.String(), "ordering exited (status 3)") {
		t.Errorf("make run did not say that ordering died:\n%s", out)
	}
	if got := stopped(root); len(got) < 4 || strings.Contains(strings.Join(got, " "), "ordering") {
		t.Errorf("stopped %v, want every service started but ordering:\n%s", got, out)
	}
	if !strings.Contains(out.String(), "catalog  | {\"msg\":\"hello from catalog\"}") {
		t.Errorf("the services' lines are not prefixed with their names:\n%s", out)
	}
}

// make stop (SIGTERM to the pid in tmp/run.pid) stops every service
// gracefully, and make run then exits 0 and removes its pid file.
func TestMakeStopStopsEveryService(t *testing.T) {
	cmd, root, out := runLocal(t)
	testkit.WaitFor(t, "the shop to run", func() bool { return strings.Contains(out.String(), "the shop runs") })
	pid, err := os.ReadFile(filepath.Join(root, "tmp/run.pid"))
	if err != nil || strings.TrimSpace(string(pid)) == "" {
		t.Fatalf("no pid file: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("make run on SIGTERM: %v\n%s", err, out)
	}
	if got := stopped(root); len(got) != len(services) {
		t.Errorf("stopped %v, want all of %v", got, services)
	}
	if _, err := os.Stat(filepath.Join(root, "tmp/run.pid")); !os.IsNotExist(err) {
		t.Errorf("the pid file is still there: %v", err)
	}
}
