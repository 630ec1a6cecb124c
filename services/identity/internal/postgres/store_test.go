package postgres_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
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
	return postgres.NewStore(pool, testSeal), pool
}

var testSeal = []byte("test key seal")

// A key sealed with another seal key (IDENTITY_KEY_SEAL changed) is not
// used: it is not published, and the next rotation makes a new key
// whatever the old one's age. A key stored in clear (before keys were
// sealed) is sealed at the start.
func TestKeysSealedWithAnotherKeyAreNotUsedAndClearOnesAreSealed(t *testing.T) {
	store, pool := newStore(t)
	ctx := context.Background()
	if _, err := store.RotateKeysOlderThan(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	other := postgres.NewStore(pool, []byte("another seal"))
	if keys, err := other.PublishedSigningKeys(ctx); err != nil || len(keys) != 0 {
		t.Fatalf("with another seal: %d keys published (%v), want none", len(keys), err)
	}
	if rotated, err := other.RotateKeysOlderThan(ctx, time.Hour); err != nil || !rotated {
		t.Fatalf("with another seal, a young key's rotation: %v %v; want a new key", rotated, err)
	}
	if keys, err := other.PublishedSigningKeys(ctx); err != nil || len(keys) != 1 {
		t.Fatalf("with another seal after the rotation: %d keys (%v), want 1", len(keys), err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	exec(t, pool, `INSERT INTO signing_keys (id, private_key, sealed, created_at) VALUES ('clear', $1, false, now() + interval '1 minute')`, der)
	if err := other.SealClearKeys(ctx); err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := pool.QueryRow(ctx, `SELECT private_key FROM signing_keys WHERE id = 'clear' AND sealed`).Scan(&stored); err != nil {
		t.Fatalf("the clear key after SealClearKeys: %v", err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(stored); err == nil {
		t.Fatal("the clear key is still stored in clear")
	}
	keys, err := other.PublishedSigningKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != "clear" || !keys[0].Private.Equal(key) {
		t.Fatalf("published after sealing: %d keys (%v); want the sealed one first, as it was", len(keys), err)
	}
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

// Attempts at once on keys in common take turns: with a threshold of 3,
// ten reservations at once let exactly 3 through; the counts are saved.
func TestReservationsAtOnceTakeTurns(t *testing.T) {
	store, _ := newStore(t)
	ctx := context.Background()
	keys := []identity.ThrottleKey{{Name: "account:x|ip:y", Threshold: 3}, {Name: "ip:y", Threshold: 20}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	let := 0
	for range 10 {
		wg.Go(func() {
			if err := store.ChangeFailures(ctx, keys, func(f []*identity.Failures) error {
				if identity.Reserve(time.Now(), f).IsZero() {
					mu.Lock()
					let++
					mu.Unlock()
				}
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if let != 3 {
		t.Fatalf("%d of 10 reservations at once went through, want 3", let)
	}
	err := store.ChangeFailures(ctx, keys[1:], func(f []*identity.Failures) error {
		if f[0].Count != 3 || f[0].Key != keys[1] {
			t.Errorf("the address key after 3 reservations: %+v", *f[0])
		}
		return nil
	})
	if err != nil {
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
		if err := store.ChangeFailures(ctx, []identity.ThrottleKey{{Name: key, Threshold: 5}}, func(f []*identity.Failures) error {
			identity.Reserve(time.Now(), f)
			return nil
		}); err != nil {
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
