package deploy

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// databaseServices are the services with a database, each with its role.
var databaseServices = []string{"catalog", "basket", "ordering", "identity"}

// databaseRoles is deploy/postgres/init.sql as run on the test server for
// one test, every role and database name made unique to the test.
type databaseRoles struct{ prefix string }

func runInitSQL(t *testing.T) databaseRoles {
	t.Helper()
	// Short: role and database names have at most 63 bytes.
	prefix := testkit.UniqueName(t, "r")[:10]
	raw := mustRead(t, "../../deploy/postgres/init.sql")
	var names []string
	for _, s := range databaseServices {
		names = append(names, s, prefix+"_"+s)
	}
	r := databaseRoles{prefix: prefix}
	t.Cleanup(func() {
		for _, s := range databaseServices {
			testkit.AdminExec(t, "DROP DATABASE IF EXISTS "+pgx.Identifier{r.database(s)}.Sanitize()+" WITH (FORCE)")
			testkit.AdminExec(t, "DROP ROLE IF EXISTS "+pgx.Identifier{r.role(s)}.Sanitize())
		}
	})
	// init.sql is a psql script (\gexec); run it as compose does, with psql
	// (PSQL overrides the command, e.g. "docker compose exec -T postgres psql").
	cmd := strings.Fields(os.Getenv("PSQL"))
	if len(cmd) == 0 {
		cmd = []string{"psql"}
	}
	psql := exec.Command(cmd[0], append(cmd[1:], "--no-psqlrc", "--quiet", "-d", testkit.PostgresURL(), "-f", "-")...)
	psql.Stdin = strings.NewReader(strings.NewReplacer(names...).Replace(string(raw)))
	if out, err := psql.CombinedOutput(); err != nil {
		t.Fatalf("psql < init.sql: %v\n%s", err, out)
	}
	return r
}

func (r databaseRoles) role(service string) string     { return r.prefix + "_" + service }
func (r databaseRoles) database(service string) string { return r.prefix + "_" + service + "db" }

// url is the test server's URL of database db as service's role.
func (r databaseRoles) url(t *testing.T, service, db string) string {
	t.Helper()
	u, err := url.Parse(testkit.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	u.User = url.UserPassword(r.role(service), r.role(service)+"-demo-password")
	return u.String()
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
			conn, err := pgx.Connect(ctx, r.url(t, role, r.database(db)))
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
	dbURL := r.url(t, "catalog", r.database("catalog"))
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
	missing := r.url(t, "catalog", r.prefix+"_missing")
	if err := postgres.EnsureDatabase(ctx, missing); err == nil || !strings.Contains(err.Error(), "may not create it") {
		t.Fatalf("EnsureDatabase of a missing database as catalog's role: %v, want it refused", err)
	}
}
