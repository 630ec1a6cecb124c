package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// databaseServices are the services with a database, each with its role.
var databaseServices = []string{"catalog", "basket", "ordering", "identity"}

// runInitSQL runs deploy/postgres/init.sql on the test server for one
// test, every role and database name made unique to the test
// (testkit.RunInitSQL).
func runInitSQL(t *testing.T) testkit.DatabaseRoles {
	t.Helper()
	return testkit.RunInitSQL(t, "../../deploy/postgres/init.sql", databaseServices...)
}

// Each role connects to its own database and is refused on every other
// (CONNECT is revoked from PUBLIC): basket's cannot reach catalogdb, nor
// identity's the buyers' orders, nor any other's identitydb's password
// hashes.
func TestEachDatabaseRoleReachesOnlyItsOwnDatabase(t *testing.T) {
	r := runInitSQL(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	for _, role := range databaseServices {
		for _, db := range databaseServices {
			conn, err := pgx.Connect(ctx, r.URL(t, role, r.Database(db)))
			if err == nil {
				conn.Close(ctx)
			}
			if db == role {
				if err != nil {
					t.Errorf("%s connects to its own database: %v", role, err)
				}
				continue
			}
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
				t.Errorf("%s's role connects to %sdb: %v, want insufficient_privilege (42501)", role, db, err)
			}
		}
	}
}

// A service's role may not create databases: it starts on the database
// init.sql made for it, creates its tables there, and runs again.
func TestAServiceStartsAsItsRoleOnTheDatabaseMadeForIt(t *testing.T) {
	r := runInitSQL(t)
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	dbURL := r.URL(t, "catalog", r.Database("catalog"))
	for start := 1; start <= 2; start++ {
		if err := postgres.EnsureDatabase(ctx, dbURL); err != nil {
			t.Fatalf("start %d: EnsureDatabase as catalog's role: %v", start, err)
		}
		pool, err := postgres.NewPool(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		err = postgres.Migrate(ctx, pool, nil)
		if err == nil {
			_, err = pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS items (id bigint PRIMARY KEY)")
		}
		pool.Close()
		if err != nil {
			t.Fatalf("start %d: migrate as catalog's role: %v", start, err)
		}
	}
	// And it may not create what it lacks: no CREATEDB.
	missing := r.URL(t, "catalog", r.Prefix+"_missing")
	if err := postgres.EnsureDatabase(ctx, missing); err == nil || !strings.Contains(err.Error(), "may not create it") {
		t.Fatalf("EnsureDatabase of a missing database as catalog's role: %v, want it refused", err)
	}
}
