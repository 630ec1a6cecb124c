package testkit

import (
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DatabaseRoles are the roles and databases of an init script as
// [RunInitSQL] made them for one test.
type DatabaseRoles struct {
	// Prefix begins the test's name of every role and database.
	Prefix string
}

// RunInitSQL runs an init script (deploy/postgres/init.sql) on the test
// server as compose runs it, with psql, for one test: every role and
// database of the services named is made under a name unique to the test,
// and dropped when the test ends. PSQL overrides the command (e.g. "docker
// compose exec -T postgres psql").
func RunInitSQL(t testing.TB, file string, services ...string) DatabaseRoles {
	t.Helper()
	// Short: role and database names have at most 63 bytes.
	r := DatabaseRoles{Prefix: UniqueName(t, "r")[:10]}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range services {
		names = append(names, s, r.Role(s))
	}
	t.Cleanup(func() {
		for _, s := range services {
			dropDatabase(t, r.Database(s))
			AdminExec(t, "DROP ROLE IF EXISTS "+pgx.Identifier{r.Role(s)}.Sanitize())
		}
	})
	cmd := strings.Fields(os.Getenv("PSQL"))
	if len(cmd) == 0 {
		cmd = []string{"psql"}
	}
	psql := exec.Command(cmd[0], append(cmd[1:], "--no-psqlrc", "--quiet", "-d", PostgresURL(), "-f", "-")...)
	psql.Stdin = strings.NewReader(strings.NewReplacer(names...).Replace(string(raw)))
	if out, err := psql.CombinedOutput(); err != nil {
		t.Fatalf("testkit: psql < %s: %v\n%s", file, err, out)
	}
	return r
}

// Role is the test's name of service's role.
func (r DatabaseRoles) Role(service string) string { return r.Prefix + "_" + service }

// Database is the test's name of service's database.
func (r DatabaseRoles) Database(service string) string { return r.Role(service) + "db" }

// URL is the test server's URL of database db as service's role, with its
// demo password from the init script. With service "", it is the tests'
// administrator's.
func (r DatabaseRoles) URL(t testing.TB, service, db string) string {
	t.Helper()
	u, err := url.Parse(PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	if service != "" {
		u.User = url.UserPassword(r.Role(service), r.Role(service)+"-demo-password")
	}
	return u.String()
}
