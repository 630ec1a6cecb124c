package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

// The version tables: the building blocks' schema and the service's schema
// evolve independently, each with its own numbering.
const (
	buildingBlocksVersionTable = "buildingblocks_schema_version"
	serviceVersionTable        = "schema_version"
)

//go:embed migrations/*.sql
var buildingBlocksMigrations embed.FS

// Migrate brings the database up to date with tern: first the building
// blocks' tables (integration_event_log for the outbox,
// integration_event_inbox for the inbox), tracked in
// buildingblocks_schema_version, then the service's migrations, tracked in
// schema_version.
//
// The service's migrations are tern files named 001_name.sql, 002_….sql at
// the root of service (pass fs.Sub(embedded, "migrations") for a
// subdirectory); a nil service applies only the building blocks' tables.
// Several replicas may call Migrate at once: tern serializes them with an
// advisory lock, and each migration runs in its own transaction.
func Migrate(ctx context.Context, pool *pgxpool.Pool, service fs.FS) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			// Never hand back a connection a failed migration may have left
			// with a session lock or setting.
			conn.Conn().Close(ctx)
		}
		conn.Release()
	}()

	own, err := fs.Sub(buildingBlocksMigrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := migrateWith(ctx, conn.Conn(), buildingBlocksVersionTable, own); err != nil {
		return fmt.Errorf("postgres: migrate building blocks: %w", err)
	}
	if service == nil {
		return nil
	}
	if err := migrateWith(ctx, conn.Conn(), serviceVersionTable, service); err != nil {
		if errors.As(err, new(migrate.NoMigrationsFoundError)) {
			return fmt.Errorf("postgres: migrate service: no files named 001_name.sql at the root of its migrations (use fs.Sub for a subdirectory): %w", err)
		}
		return fmt.Errorf("postgres: migrate service: %w", err)
	}
	return nil
}

func migrateWith(ctx context.Context, conn *pgx.Conn, versionTable string, migrations fs.FS) error {
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return err
	}
	if err := m.LoadMigrations(migrations); err != nil {
		return err
	}
	return m.Migrate(ctx)
}
