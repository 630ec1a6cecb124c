package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/jackc/pgx/v5"
)

// oneRowInsert is pgbench's transaction: one autocommitted one-row insert,
// about the size of an event row.
const oneRowInsert = `INSERT INTO one_row (payload) VALUES (repeat('x', 200));`

var pgbenchTPS = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbenchRate runs pgbench with producers clients for seconds on a fresh
// database and returns its transactions per second: the rate at which
// this server commits one-row transactions from as many clients as the
// pipelines have producers.
func pgbenchRate(b *testing.B, seconds int) float64 {
	b.Helper()
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		b.Fatal("pgbench is not on the PATH (it ships with PostgreSQL's client package): ", err)
	}
	dbURL := testkit.NewDatabase(b)
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	_, err = conn.Exec(b.Context(), "CREATE TABLE one_row (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text NOT NULL)")
	conn.Close(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	script := filepath.Join(b.TempDir(), "one_row.sql")
	if err := os.WriteFile(script, []byte(oneRowInsert+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command(pgbench, "-n", "-c", strconv.Itoa(producers), "-j", "2", "-T", strconv.Itoa(seconds),
		"-f", script, "-h", cfg.Host, "-p", strconv.Itoa(int(cfg.Port)), "-U", cfg.User, cfg.Database).CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench: %v\n%s", err, out)
	}
	m := pgbenchTPS.FindSubmatch(out)
	if m == nil {
		b.Fatalf("pgbench printed no rate:\n%s", out)
	}
	tps, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		b.Fatal(fmt.Errorf("pgbench rate %q: %w", m[1], err))
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(tps, "tx/s")
	return tps
}
