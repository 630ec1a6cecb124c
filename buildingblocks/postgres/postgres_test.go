package postgres_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/jackc/pgx/v5"
)

func TestEnsureDatabaseCreatesAMissingDatabase(t *testing.T) {
	ctx := context.Background()
	name := testkit.UniqueName(t, "t")
	dbURL := databaseURL(t, name, "")
	t.Cleanup(func() { exec(t, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)") })

	// Replicas starting together race to create it; none may fail.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = postgres.EnsureDatabase(ctx, dbURL) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("EnsureDatabase: %v", err)
		}
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect to the created database: %v", err)
	}
	conn.Close(ctx)

	// And when it exists already, nothing happens.
	if err := postgres.EnsureDatabase(ctx, dbURL); err != nil {
		t.Fatalf("EnsureDatabase on an existing database: %v", err)
	}
}

func TestEnsureDatabaseSaysWhenTheRoleMayNotCreateIt(t *testing.T) {
	ctx := context.Background()
	role := testkit.UniqueName(t, "r")
	exec(t, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN NOCREATEDB")
	t.Cleanup(func() { exec(t, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize()) })

	err := postgres.EnsureDatabase(ctx, databaseURL(t, testkit.UniqueName(t, "t"), role))
	if err == nil {
		t.Fatal("EnsureDatabase succeeded for a role without CREATEDB")
	}
	if !strings.Contains(err.Error(), "may not create it") {
		t.Fatalf("error does not say the role may not create the database: %v", err)
	}
}

func TestNewPoolDoesNotNeedTheServer(t *testing.T) {
	ctx := context.Background()
	pool, err := postgres.NewPool(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatalf("NewPool with the server down: %v", err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded against a port where nothing listens")
	}
}

var serviceMigrations = fstest.MapFS{
	"migrations/001_items.sql":     {Data: []byte("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);")},
	"migrations/002_item_note.sql": {Data: []byte("ALTER TABLE items ADD COLUMN note text;")},
}

func TestMigrateConcurrentlyAndAgain(t *testing.T) {
	ctx := context.Background()
	dbURL := testkit.NewDatabase(t)
	pool, err := postgres.NewPool(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// Two replicas start at once on an empty database.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			p, err := postgres.NewPool(ctx, dbURL)
			if err != nil {
				errs[i] = err
				return
			}
			defer p.Close()
			errs[i] = postgres.Migrate(ctx, p, serviceMigrations)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	// A restart migrates again: nothing to do.
	if err := postgres.Migrate(ctx, pool, serviceMigrations); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}

	for table, want := range map[string]int{"buildingblocks_schema_version": 4, "schema_version": 2} {
		var got int
		if err := pool.QueryRow(ctx, "SELECT version FROM "+table).Scan(&got); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if got != want {
			t.Errorf("%s = %d, want %d", table, got, want)
		}
	}
	for _, table := range []string{"integration_event_log", "integration_event_inbox", "items"} {
		var exists bool
		if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil || !exists {
			t.Errorf("table %s missing after Migrate (err %v)", table, err)
		}
	}
	if _, err := pool.Exec(ctx, "INSERT INTO items (id, name, note) VALUES (1, 'x', 'y')"); err != nil {
		t.Errorf("the service's schema is not as migrated: %v", err)
	}
}

func TestMigrateWithoutServiceMigrations(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, nil)
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('integration_event_log') IS NOT NULL").Scan(&exists); err != nil || !exists {
		t.Fatalf("Migrate(nil) did not create the building blocks' tables (err %v)", err)
	}
	// A service fs without migration files is a mistake worth an error
	// (typically an embed of the files without their directory).
	err := postgres.Migrate(ctx, pool, fstest.MapFS{"001_items.sql": serviceMigrations["migrations/001_items.sql"]})
	if err == nil || !strings.Contains(err.Error(), "migrations/001_name.sql") {
		t.Fatalf("Migrate with the migrations outside a migrations directory: got %v, want an error naming where they belong", err)
	}
}

// databaseURL is the test server's URL for database name, as role user
// ("" for the default).
func databaseURL(t *testing.T, name, user string) string {
	u, err := url.Parse(testkit.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	if user != "" {
		u.User = url.User(user)
	}
	return u.String()
}

// exec runs a statement on the server's maintenance database.
func exec(t *testing.T, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testkit.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
