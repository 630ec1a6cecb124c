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
// The service's migrations are tern files named migrations/001_name.sql,
// migrations/002_….sql in service, as a service embeds them:
//
//	//go:embed migrations/*.sql
//	var Migrations embed.FS
//
// A nil service applies only the building blocks' tables.
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

	if err := migrateWith(ctx, conn.Conn(), buildingBlocksVersionTable, buildingBlocksMigrations); err != nil {
		return fmt.Errorf("postgres: migrate building blocks: %w", err)
	}
	if service == nil {
		return nil
	}
	if err := migrateWith(ctx, conn.Conn(), serviceVersionTable, service); err != nil {
		if errors.As(err, new(migrate.NoMigrationsFoundError)) || errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("postgres: migrate service: no files named migrations/001_name.sql: %w", err)
		}
		return fmt.Errorf("postgres: migrate service: %w", err)
	}
	return nil
}

// migrateWith applies the migrations in the migrations directory of fsys.
func migrateWith(ctx context.Context, conn *pgx.Conn, versionTable string, fsys fs.FS) error {
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return err
	}
	migrations, err := fs.Sub(fsys, "migrations")
	if err != nil {
		return err
	}
	if err := m.LoadMigrations(migrations); err != nil {
		return err
	}
	return m.Migrate(ctx)
}
