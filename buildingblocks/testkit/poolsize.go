package testkit

import (
	"fmt"
	"net/url"
	"testing"
)

// WithMaxConns returns databaseURL with the pool size pgxpool reads from it
// (pool_max_conns) set to n.
func WithMaxConns(t testing.TB, databaseURL string, n int) string {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatalf("testkit: parse the database URL: %v", err)
	}
	q := u.Query()
	q.Set("pool_max_conns", fmt.Sprint(n))
	u.RawQuery = q.Encode()
	return u.String()
}
