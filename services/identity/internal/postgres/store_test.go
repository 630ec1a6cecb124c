package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/eshop-go/eshop-go/services/identity/internal/postgres"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

func newStore(t *testing.T) (*postgres.Store, *pgxpool.Pool) {
	pool := testkit.NewPool(t, postgres.Migrations)
	return postgres.NewStore(pool), pool
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// Instances that start together on an empty database make one key; a key
// younger than the maximum age stays; an older one is replaced, and the
// one before it is deleted.
func TestKeysAreMadeOnceAndRotatedWhenTooOld(t *testing.T) {
	store, pool := newStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := store.RotateKeysOlderThan(ctx, time.Hour); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	keys, err := store.PublishedSigningKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("after four starts together: %d keys, %v; want 1", len(keys), err)
	}
	if rotated, err := store.RotateKeysOlderThan(ctx, time.Hour); err != nil || rotated {
		t.Fatalf("a fresh key was rotated: %v %v", rotated, err)
	}
	for range 2 {
		exec(t, pool, `UPDATE signing_keys SET created_at = created_at - interval '2 hours'`)
		if rotated, err := store.RotateKeysOlderThan(ctx, time.Hour); err != nil || !rotated {
			t.Fatalf("an old key was not rotated: %v %v", rotated, err)
		}
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM signing_keys`).Scan(&stored); err != nil || stored != postgres.PublishedKeys {
		t.Fatalf("%d keys stored after two rotations (%v), want %d", stored, err, postgres.PublishedKeys)
	}
}

// The throttle locks a key at its threshold, and a count idle for longer
// than the longest lock starts again.
func TestFailuresLockAKeyAndAnIdleCountStartsAgain(t *testing.T) {
	store, pool := newStore(t)
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		if err := store.RecordFailure(ctx, "account:x", 3); err != nil {
			t.Fatal(err)
		}
		locked, err := store.LockedUntil(ctx, "account:x", "ip:y")
		if err != nil || locked.IsZero() != (i < 3) {
			t.Fatalf("after %d failures locked until %v (%v); want locked from 3", i, locked, err)
		}
	}
	exec(t, pool, `UPDATE login_failures SET updated_at = now() - interval '2 hours', locked_until = now()`)
	if err := store.RecordFailure(ctx, "account:x", 3); err != nil {
		t.Fatal(err)
	}
	if locked, _ := store.LockedUntil(ctx, "account:x"); !locked.IsZero() {
		t.Fatal("a failure after an idle count locked at once; want the count to start again")
	}
	if err := store.ClearFailures(ctx, "account:x"); err != nil {
		t.Fatal(err)
	}
}

// Sign-ins older than the retention, expired refresh tokens and idle
// failure counts are purged; newer ones stay.
func TestPurgeDeletesOldSignInsAndExpiredRefreshTokens(t *testing.T) {
	store, pool := newStore(t)
	ctx := context.Background()
	if err := store.SeedDemoUsers(ctx, "pw", identity.PasswordCostMin); err != nil {
		t.Fatal(err)
	}
	user, err := store.UserByEmail(ctx, "Alice@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	old := uuid.New()
	for _, id := range []uuid.UUID{old, uuid.New()} {
		if err := store.CreateAuthRequest(ctx, identity.AuthRequest{ID: id, Scopes: []string{}}); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, pool, `UPDATE auth_requests SET created_at = now() - interval '2 hours' WHERE id = $1`, old)
	for _, expires := range []time.Time{time.Now().Add(-time.Minute), time.Now().Add(time.Hour)} {
		token := identity.RefreshToken{Token: uuid.NewString(), UserID: user.ID, ClientID: "demo", Scopes: []string{}, Audience: []string{}, AuthTime: time.Now(), ExpiresAt: expires}
		if err := store.ReplaceRefreshToken(ctx, "", token); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{"account:idle", "account:recent"} {
		if err := store.RecordFailure(ctx, key, 5); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, pool, `UPDATE login_failures SET updated_at = now() - interval '2 hours' WHERE key = 'account:idle'`)
	if n, err := store.PurgeExpired(ctx, time.Hour); err != nil || n != 3 {
		t.Fatalf("purged %d (%v), want the old sign-in, the expired token and the idle count", n, err)
	}
	if n, _ := store.PurgeExpired(ctx, time.Hour); n != 0 {
		t.Fatalf("a second purge deleted %d", n)
	}
}
