// Package postgres holds what every service with a database does at start:
// make sure its database exists ([EnsureDatabase]), open a connection pool
// ([NewPool]) and bring the schema up to date ([Migrate]): first the
// building blocks' tables (the outbox's integration event log and the
// inbox), then the service's own migrations.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SQLSTATE codes this package reacts to.
const (
	invalidCatalogName    = "3D000" // the database does not exist
	duplicateDatabase     = "42P04"
	uniqueViolation       = "23505" // what a CREATE DATABASE racing another one may get instead
	insufficientPrivilege = "42501"
)

// EnsureDatabase creates the database that databaseURL names when it does
// not exist yet, connecting for that to the server's "postgres" database
// with the same role. A concurrent creation by another replica is not an
// error (PostgreSQL reports that race as duplicate_database or as a
// unique_violation on pg_database). When the role may not create databases the error says so.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("postgres: parse database URL: %w", err)
	}
	name := cfg.Database
	if name == "" {
		return errors.New("postgres: the database URL names no database")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	if !hasCode(err, invalidCatalogName) {
		return fmt.Errorf("postgres: connect to database %q: %w", name, err)
	}

	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err = pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("postgres: database %q does not exist and the server's \"postgres\" database, to create it from, does not answer: %w", name, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	switch {
	case err == nil, hasCode(err, duplicateDatabase), hasCode(err, uniqueViolation):
		return nil
	case hasCode(err, insufficientPrivilege):
		return fmt.Errorf("postgres: database %q does not exist and role %q may not create it (grant it CREATEDB or create the database beforehand): %w", name, cfg.User, err)
	default:
		return fmt.Errorf("postgres: create database %q: %w", name, err)
	}
}

// NewPool returns a connection pool for databaseURL. It connects lazily, so
// it succeeds while the server is still down; the first query waits for it.
//
// Its statements are traced (otelpgx): a statement run with a context whose
// span is recording (a request's, a handler's) gets a client span named by
// its operation ("query SELECT", "query INSERT" …), with its SQL text and never its
// arguments. Statements outside any span (the relay's polling, the purges)
// make none, and neither do a transaction's BEGIN, COMMIT, ROLLBACK and
// savepoints nor a statement's preparation (see [statementTracer]).
func NewPool(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", err)
	}
	// A span per pool acquire would double every statement's for little.
	// The prefix names a statement's span by what it is ("query SELECT").
	// The connection's details (server, port, user, database) are left
	// out: the same on every span of a service, they made a quarter of
	// what tracing the outbox benchmark exported.
	cfg.ConnConfig.Tracer = statementTracer{otelpgx.NewTracer(otelpgx.WithDisableAcquireTracer(), otelpgx.WithQuerySpanNamePrefix(), otelpgx.WithDisableConnectionDetailsInAttributes())}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: new pool: %w", err)
	}
	return pool, nil
}

func hasCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
