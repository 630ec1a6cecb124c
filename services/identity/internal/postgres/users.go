package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// SeedDemoUsers gives an empty database the demo users
// (identity.DemoUsers), each with password hashed at cost; a database with
// users is left as it is.
func (s *Store) SeedDemoUsers(ctx context.Context, password string, cost int) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One seed at a time, so that two instances starting together do
		// not both find the table empty.
		if _, err := tx.Exec(ctx, `LOCK TABLE users IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&any); err != nil || any {
			return err
		}
		for _, u := range identity.DemoUsers() {
			hash, err := identity.HashPassword(password, cost)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO users (email, name, roles, password_hash) VALUES ($1, $2, $3, $4)`,
				u.Email, u.Name, u.Roles, hash); err != nil {
				return fmt.Errorf("seed %s: %w", u.Email, err)
			}
		}
		return nil
	})
}

const userColumns = `id, email, name, roles, password_hash`

func scanUser(row pgx.Row) (identity.User, error) {
	var u identity.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Roles, &u.PasswordHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, identity.ErrUnknownUser
	}
	return u, err
}

// UserByEmail returns the user with the email, in any case.
func (s *Store) UserByEmail(ctx context.Context, email string) (identity.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, strings.ToLower(email)))
}

// UserByID returns the user with the id.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (identity.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}
