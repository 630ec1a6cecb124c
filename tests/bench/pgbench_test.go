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

var (
	pgbenchTPS = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	pgbenchTxs = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)
)

// pgbenchRate runs pgbench with producers clients for seconds on a fresh
// database and returns its transactions per second, the rate at which
// this server commits one-row transactions from as many clients as the
// pipelines have producers, and the processor time they took (pgbench's
// own included), per transaction.
func pgbenchRate(b *testing.B, seconds int) (tps float64, cpuPerTx string) {
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
	cmd := exec.Command(pgbench, "-n", "-c", strconv.Itoa(producers), "-j", "2", "-T", strconv.Itoa(seconds),
		"-f", script, "-h", cfg.Host, "-p", strconv.Itoa(int(cfg.Port)), "-U", cfg.User, cfg.Database)
	before := readCPU()
	out, err := cmd.CombinedOutput()
	cpu := readCPU().sub(before)
	if err != nil {
		b.Fatalf("pgbench: %v\n%s", err, out)
	}
	cpu.client = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	tps, txs := pgbenchFloat(b, pgbenchTPS, out), pgbenchFloat(b, pgbenchTxs, out)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(tps, "tx/s")
	return tps, cpu.perUnit(txs)
}

// pgbenchFloat is the number that re finds in pgbench's output.
func pgbenchFloat(b *testing.B, re *regexp.Regexp, out []byte) float64 {
	m := re.FindSubmatch(out)
	if m == nil {
		b.Fatalf("pgbench printed no %s:\n%s", re, out)
	}
	f, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		b.Fatal(fmt.Errorf("pgbench %q: %w", m[1], err))
	}
	return f
}
