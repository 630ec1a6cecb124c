// Package postgres stores the identity service's state in PostgreSQL:
// users, the throttle of failed sign-ins, sign-ins in progress, refresh
// tokens (as hashes) and the keys that sign tokens. Its migrations are
// embedded ([Migrations]).
package postgres

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"embed"
	"errors"
	"time"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migrations are the identity service's tern migrations, for
// postgres.Migrate of the building blocks.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Store reads and writes the identity service's tables.
type Store struct {
	pool *pgxpool.Pool
	keys cipher.AEAD // seals the signing keys
}

// NewStore returns a store on pool that seals the signing keys with a key
// derived from keySeal (IDENTITY_KEY_SEAL).
func NewStore(pool *pgxpool.Pool, keySeal []byte) *Store {
	k := sha256.Sum256(append([]byte("identity signing keys|"), keySeal...))
	block, _ := aes.NewCipher(k[:]) // a 32-byte key: AES-256, no error
	aead, _ := cipher.NewGCM(block)
	return &Store{pool: pool, keys: aead}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// notFound turns pgx's "no rows" into identity.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return identity.ErrNotFound
	}
	return err
}

// PurgeExpired deletes the sign-ins started longer than olderThan ago, the
// refresh tokens that expired, and the failure counts that would start
// again anyway (see RecordFailure); it returns how many rows went.
func (s *Store) PurgeExpired(ctx context.Context, olderThan time.Duration) (int64, error) {
	var n int64
	for _, purge := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM auth_requests WHERE created_at < now() - $1::interval`, []any{olderThan}},
		{`DELETE FROM refresh_tokens WHERE expires_at < now()`, nil},
		{`DELETE FROM login_failures WHERE updated_at < now() - $1::interval AND locked_until < now()`, []any{identity.MaxLockTime}},
	} {
		tag, err := s.pool.Exec(ctx, purge.sql, purge.args...)
		if err != nil {
			return n, err
		}
		n += tag.RowsAffected()
	}
	return n, nil
}
