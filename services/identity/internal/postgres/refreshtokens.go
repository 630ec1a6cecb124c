package postgres

import (
	"context"
	"crypto/sha256"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/google/uuid"
)

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ReplaceRefreshToken saves t and, in the same transaction, marks the
// token it replaces used (previous; empty for the first of a sign-in,
// which starts a family). A previous token that is gone fails with
// ErrNotFound; one that was used already is a reuse: the whole family is
// revoked, and it fails with ErrRefreshTokenReused.
func (s *Store) ReplaceRefreshToken(ctx context.Context, previous string, t identity.RefreshToken) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if t.Family == uuid.Nil {
		t.Family = uuid.New()
	}
	if previous != "" {
		var used bool
		err := tx.QueryRow(ctx, `SELECT family, used_at IS NOT NULL FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
			hashToken(previous)).Scan(&t.Family, &used)
		if err != nil {
			return notFound(err)
		}
		if used {
			if _, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE family = $1`, t.Family); err != nil {
				return err
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			return identity.ErrRefreshTokenReused
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1`, hashToken(previous)); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, family, user_id, client_id, scopes, audience, auth_time, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, hashToken(t.Token), t.Family, t.UserID, t.ClientID, t.Scopes, t.Audience, t.AuthTime, t.ExpiresAt); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// RefreshToken returns what the token stands for, if it has not expired
// and was not used. A used one is a reuse: its family is revoked, and it
// fails with ErrRefreshTokenReused.
func (s *Store) RefreshToken(ctx context.Context, token string) (identity.RefreshToken, error) {
	t := identity.RefreshToken{Token: token}
	var used bool
	err := s.pool.QueryRow(ctx, `SELECT family, user_id, client_id, scopes, audience, auth_time, expires_at, used_at IS NOT NULL
		FROM refresh_tokens WHERE token_hash = $1 AND expires_at > now()`, hashToken(token)).
		Scan(&t.Family, &t.UserID, &t.ClientID, &t.Scopes, &t.Audience, &t.AuthTime, &t.ExpiresAt, &used)
	if err != nil {
		return identity.RefreshToken{}, notFound(err)
	}
	if used {
		if _, err := s.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE family = $1`, t.Family); err != nil {
			return identity.RefreshToken{}, err
		}
		return identity.RefreshToken{}, identity.ErrRefreshTokenReused
	}
	return t, nil
}

// DeleteRefreshToken revokes a refresh token and its family.
func (s *Store) DeleteRefreshToken(ctx context.Context, token string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE family IN
		(SELECT family FROM refresh_tokens WHERE token_hash = $1)`, hashToken(token))
	return err
}

// DeleteRefreshTokens revokes every refresh token of the user at the
// client (the user signed out of it).
func (s *Store) DeleteRefreshTokens(ctx context.Context, userID uuid.UUID, clientID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE user_id = $1 AND client_id = $2`, userID, clientID)
	return err
}
