package testkit

import "testing"

// CloseAllConnections makes the broker close every client connection, as
// `rabbitmqctl close_all_connections` does. It disturbs every test that
// uses the broker at the time: call it only from tests built with the
// `disruptive` tag, which `make test` runs alone.
func CloseAllConnections(t testing.TB) {
	t.Helper()
	if out, err := rabbitmqctl("close_all_connections", "testkit: disruptive test"); err != nil {
		t.Fatalf("testkit: close all connections: %v: %s", err, out)
	}
}
