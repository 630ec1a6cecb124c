package postgres

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// SigningKey is a key that signs tokens (ES256: ECDSA on P-256), and its
// key id, the kid of the tokens it signs.
type SigningKey struct {
	ID      string
	Private *ecdsa.PrivateKey
}

// PublishedKeys is how many keys the key set publishes: the current key and
// the one before, so that a token signed just before a rotation validates
// until it expires. A key rotated out twice is deleted.
const PublishedKeys = 2

// RotateKeysOlderThan makes a new current key when there is none or the
// current one is older than maxAge (never, when maxAge is zero and a key
// exists), and deletes the keys no longer published. It reports whether it
// rotated. Instances that run it together make one key.
func (s *Store) RotateKeysOlderThan(ctx context.Context, maxAge time.Duration) (rotated bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE signing_keys IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var newest *time.Time
		if err := tx.QueryRow(ctx, `SELECT max(created_at) FROM signing_keys`).Scan(&newest); err != nil {
			return err
		}
		if newest != nil && (maxAge <= 0 || time.Since(*newest) < maxAge) {
			return nil
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO signing_keys (id, private_key) VALUES ($1, $2)`, uuid.NewString(), der); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM signing_keys WHERE id NOT IN
			(SELECT id FROM signing_keys ORDER BY created_at DESC LIMIT $1)`, PublishedKeys)
		rotated = err == nil
		return err
	})
	return rotated, err
}

// RotateKeys makes a new current key now, whatever the age of the current.
func (s *Store) RotateKeys(ctx context.Context) error {
	_, err := s.RotateKeysOlderThan(ctx, time.Nanosecond)
	return err
}

// PublishedSigningKeys returns the published keys, the current (newest)
// first.
func (s *Store) PublishedSigningKeys(ctx context.Context) ([]SigningKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, private_key FROM signing_keys ORDER BY created_at DESC LIMIT $1`, PublishedKeys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []SigningKey
	for rows.Next() {
		var id string
		var der []byte
		if err := rows.Scan(&id, &der); err != nil {
			return nil, err
		}
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", id, err)
		}
		private, ok := parsed.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signing key %s is not an ECDSA key", id)
		}
		keys = append(keys, SigningKey{ID: id, Private: private})
	}
	return keys, rows.Err()
}
