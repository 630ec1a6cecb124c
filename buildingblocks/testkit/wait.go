package testkit

import (
	"testing"
	"time"
)

// Patience bounds every wait of the tests, so that a broken service fails
// the test instead of hanging it. It is not a performance assertion: a
// healthy run never comes near it.
const Patience = 60 * time.Second

// WaitFor polls cond until it holds, and fails the test, naming what it
// waited for, once Patience has passed. It asserts no duration.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
