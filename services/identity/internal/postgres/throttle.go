package postgres

import (
	"context"
	"time"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
)

// LockedUntil returns the latest time until which any of the keys is
// locked (see identity.LockFor); the zero time when none is.
func (s *Store) LockedUntil(ctx context.Context, keys ...string) (time.Time, error) {
	var until *time.Time
	err := s.pool.QueryRow(ctx, `SELECT max(locked_until) FROM login_failures WHERE key = ANY($1) AND locked_until > now()`, keys).Scan(&until)
	if err != nil || until == nil {
		return time.Time{}, err
	}
	return *until, nil
}

// RecordFailure counts one more failure in a row for the key and locks it
// for identity.LockFor of that count with threshold failures allowed. A
// count last raised longer than identity.MaxLockTime ago starts again.
func (s *Store) RecordFailure(ctx context.Context, key string, threshold int) error {
	var failures int
	if err := s.pool.QueryRow(ctx, `INSERT INTO login_failures AS f (key, failures, locked_until) VALUES ($1, 1, now())
		ON CONFLICT (key) DO UPDATE SET updated_at = now(),
			failures = CASE WHEN f.updated_at < now() - $2::interval THEN 1 ELSE f.failures + 1 END
		RETURNING failures`, key, identity.MaxLockTime).Scan(&failures); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `UPDATE login_failures SET locked_until = now() + $2::interval WHERE key = $1`,
		key, identity.LockFor(failures, threshold))
	return err
}

// ClearFailures forgets the failures of the key (after a sign-in).
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return err
}
