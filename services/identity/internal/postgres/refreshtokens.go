package postgres

import (
	"context"
	"crypto/sha256"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ReplaceRefreshToken saves t and, in the same transaction, deletes the
// token it replaces (previous; empty for the first of a grant). A previous
// token that is no longer there (used already) fails with ErrNotFound, so
// a refresh token works once.
func (s *Store) ReplaceRefreshToken(ctx context.Context, previous string, t identity.RefreshToken) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if previous != "" {
			tag, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE token_hash = $1`, hashToken(previous))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return identity.ErrNotFound
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, user_id, client_id, scopes, audience, auth_time, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, hashToken(t.Token), t.UserID, t.ClientID, t.Scopes, t.Audience, t.AuthTime, t.ExpiresAt)
		return err
	})
}

// RefreshToken returns what the token stands for, if it has not expired.
func (s *Store) RefreshToken(ctx context.Context, token string) (identity.RefreshToken, error) {
	t := identity.RefreshToken{Token: token}
	err := s.pool.QueryRow(ctx, `SELECT user_id, client_id, scopes, audience, auth_time, expires_at
		FROM refresh_tokens WHERE token_hash = $1 AND expires_at > now()`, hashToken(token)).
		Scan(&t.UserID, &t.ClientID, &t.Scopes, &t.Audience, &t.AuthTime, &t.ExpiresAt)
	return t, notFound(err)
}

// DeleteRefreshToken revokes one refresh token.
func (s *Store) DeleteRefreshToken(ctx context.Context, token string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE token_hash = $1`, hashToken(token))
	return err
}

// DeleteRefreshTokens revokes every refresh token of the user at the
// client (the user signed out of it).
func (s *Store) DeleteRefreshTokens(ctx context.Context, userID uuid.UUID, clientID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE user_id = $1 AND client_id = $2`, userID, clientID)
	return err
}
