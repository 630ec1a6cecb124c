package postgres

import (
	"context"
	"time"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// CreateAuthRequest saves a sign-in that has just begun.
func (s *Store) CreateAuthRequest(ctx context.Context, r identity.AuthRequest) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO auth_requests (id, client_id, redirect_uri, scopes, state, nonce,
		response_type, response_mode, code_challenge, code_challenge_method)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, r.ClientID, r.RedirectURI, r.Scopes, r.State, r.Nonce, r.ResponseType, r.ResponseMode, r.CodeChallenge, r.CodeChallengeMethod)
	return err
}

const authRequestColumns = `id, client_id, redirect_uri, scopes, state, nonce, response_type, response_mode,
	code_challenge, code_challenge_method, coalesce(user_id, '00000000-0000-0000-0000-000000000000'), coalesce(auth_time, 'epoch'), created_at`

func scanAuthRequest(row pgx.Row) (identity.AuthRequest, error) {
	var r identity.AuthRequest
	err := row.Scan(&r.ID, &r.ClientID, &r.RedirectURI, &r.Scopes, &r.State, &r.Nonce, &r.ResponseType, &r.ResponseMode,
		&r.CodeChallenge, &r.CodeChallengeMethod, &r.UserID, &r.AuthTime, &r.CreatedAt)
	return r, notFound(err)
}

// AuthRequestByID returns the sign-in with the id.
func (s *Store) AuthRequestByID(ctx context.Context, id uuid.UUID) (identity.AuthRequest, error) {
	return scanAuthRequest(s.pool.QueryRow(ctx, `SELECT `+authRequestColumns+` FROM auth_requests WHERE id = $1`, id))
}

// RedeemCode returns the sign-in the code was issued for, and takes the
// code away in the same statement: a code is redeemed once, however many
// redemptions arrive at once, and only within identity.CodeLifetime of
// its issue (ErrNotFound otherwise).
func (s *Store) RedeemCode(ctx context.Context, code string) (identity.AuthRequest, error) {
	return scanAuthRequest(s.pool.QueryRow(ctx, `UPDATE auth_requests SET code = NULL
		WHERE code = $1 AND code_issued_at > now() - $2::interval RETURNING `+authRequestColumns, code, identity.CodeLifetime))
}

// CompleteAuthRequest records that the user signed in for the sign-in id,
// at authTime. A sign-in already completed is not changed (ErrNotFound).
func (s *Store) CompleteAuthRequest(ctx context.Context, id, userID uuid.UUID, authTime time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE auth_requests SET user_id = $2, auth_time = $3 WHERE id = $1 AND user_id IS NULL`, id, userID, authTime)
	if err == nil && tag.RowsAffected() == 0 {
		return identity.ErrNotFound
	}
	return err
}

// SaveAuthCode records the code issued for the sign-in id.
func (s *Store) SaveAuthCode(ctx context.Context, id uuid.UUID, code string) error {
	_, err := s.pool.Exec(ctx, `UPDATE auth_requests SET code = $2, code_issued_at = now() WHERE id = $1`, id, code)
	return err
}

// DeleteAuthRequest forgets the sign-in id (its code was exchanged).
func (s *Store) DeleteAuthRequest(ctx context.Context, id uuid.UUID) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM auth_requests WHERE id = $1`, id)
	return err
}
