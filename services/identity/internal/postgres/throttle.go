package postgres

import (
	"context"
	"slices"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/jackc/pgx/v5"
)

// ChangeFailures loads the failure counts of keys (zero for a key never
// counted), lets change decide, and saves them, in one transaction that
// holds the keys' rows locked: concurrent sign-ins with a key in common
// take turns. change gets the counts in the order of keys.
func (s *Store) ChangeFailures(ctx context.Context, keys []identity.ThrottleKey, change func([]*identity.Failures) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = k.Name
		}
		// Rows are created and locked in the order of their names, so that
		// two sign-ins never wait for each other's rows.
		sorted := slices.Clone(names)
		slices.Sort(sorted)
		if _, err := tx.Exec(ctx, `INSERT INTO login_failures (key, failures, locked_until, updated_at)
			SELECT k, 0, 'epoch', 'epoch' FROM unnest($1::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING`, sorted); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT key, failures, locked_until, updated_at FROM login_failures
			WHERE key = ANY($1) ORDER BY key FOR UPDATE`, sorted)
		if err != nil {
			return err
		}
		failures := make([]*identity.Failures, len(keys))
		for rows.Next() {
			var f identity.Failures
			if err := rows.Scan(&f.Key.Name, &f.Count, &f.LockedUntil, &f.UpdatedAt); err != nil {
				rows.Close()
				return err
			}
			i := slices.Index(names, f.Key.Name)
			f.Key = keys[i]
			failures[i] = &f
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if err := change(failures); err != nil {
			return err
		}
		for _, f := range failures {
			if _, err := tx.Exec(ctx, `UPDATE login_failures SET failures = $2, locked_until = $3, updated_at = $4 WHERE key = $1`,
				f.Key.Name, f.Count, f.LockedUntil, f.UpdatedAt); err != nil {
				return err
			}
		}
		return nil
	})
}
