package postgres

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
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

// Sealing: a key's private half (PKCS #8) is stored sealed with the
// store's AEAD (AES-GCM under a key derived from IDENTITY_KEY_SEAL), with
// the key's id as associated data, so that a sealed key cannot be passed
// off as another. A key that does not open (sealed under another
// IDENTITY_KEY_SEAL) is neither published nor used, and the next rotation
// makes a new one whatever the old one's age.

// RotateKeysOlderThan makes a new current key when there is none that
// opens or the current one is older than maxAge (never, when maxAge is
// zero and a key opens), and deletes the keys no longer published. It
// reports whether it rotated. Instances that run it together make one key.
func (s *Store) RotateKeysOlderThan(ctx context.Context, maxAge time.Duration) (rotated bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE signing_keys IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		keys, err := s.openKeys(ctx, tx, -1)
		if err != nil {
			return err
		}
		if len(keys) > 0 && (maxAge <= 0 || time.Since(keys[0].created) < maxAge) {
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
		id := uuid.NewString()
		if _, err := tx.Exec(ctx, `INSERT INTO signing_keys (id, private_key, sealed) VALUES ($1, $2, true)`, id, s.sealKey(id, der)); err != nil {
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

// SealClearKeys seals the keys stored in clear (before keys were sealed).
func (s *Store) SealClearKeys(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, private_key FROM signing_keys WHERE NOT sealed FOR UPDATE`)
		if err != nil {
			return err
		}
		clear, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storedKey, error) {
			var r storedKey
			return r, row.Scan(&r.id, &r.stored)
		})
		if err != nil {
			return err
		}
		for _, k := range clear {
			if _, err := tx.Exec(ctx, `UPDATE signing_keys SET private_key = $2, sealed = true WHERE id = $1`, k.id, s.sealKey(k.id, k.stored)); err != nil {
				return err
			}
		}
		return nil
	})
}

// PublishedSigningKeys returns the published keys that open, the current
// (newest) first.
func (s *Store) PublishedSigningKeys(ctx context.Context) ([]SigningKey, error) {
	keys, err := s.openKeys(ctx, s.pool, PublishedKeys)
	if err != nil {
		return nil, err
	}
	out := make([]SigningKey, len(keys))
	for i, k := range keys {
		out[i] = k.SigningKey
	}
	return out, nil
}

// storedKey is a stored key before it is opened.
type storedKey struct {
	id     string
	stored []byte
}

type openedKey struct {
	SigningKey
	created time.Time
}

// openKeys returns, newest first, those of the newest limit keys (all,
// when limit is negative) that open.
func (s *Store) openKeys(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, limit int) ([]openedKey, error) {
	rows, err := q.Query(ctx, `SELECT id, private_key, sealed, created_at FROM signing_keys
		ORDER BY created_at DESC LIMIT CASE WHEN $1 < 0 THEN NULL ELSE $1 END`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []openedKey
	for rows.Next() {
		var (
			k      openedKey
			stored []byte
			sealed bool
		)
		if err := rows.Scan(&k.ID, &stored, &sealed, &k.created); err != nil {
			return nil, err
		}
		der := stored
		if sealed {
			if der, err = s.openKey(k.ID, stored); err != nil {
				continue // sealed under another IDENTITY_KEY_SEAL
			}
		}
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		private, ok := parsed.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signing key %s is not an ECDSA key", k.ID)
		}
		k.Private = private
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

func (s *Store) sealKey(id string, der []byte) []byte {
	nonce := make([]byte, s.keys.NonceSize())
	rand.Read(nonce)
	return s.keys.Seal(nonce, nonce, der, []byte(id))
}

func (s *Store) openKey(id string, sealed []byte) ([]byte, error) {
	n := s.keys.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed key too short")
	}
	return s.keys.Open(nil, sealed[:n], sealed[n:], []byte(id))
}
