package bench

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// countWrites asks the full-speed runs of the building blocks' pipeline to
// report commits and row writes per event, as PostgreSQL counted them. A
// session publishes its counts at most once a second while busy and after
// ten seconds of idling, so the reading waits that long: off by default.
var countWrites = flag.Bool("counters", false, "report commits and row writes per event (waits 11 s per run)")

// dbCounters are what PostgreSQL counted in one database: transactions
// committed and rows written.
type dbCounters struct{ commits, inserted, updated, deleted int64 }

func countersOf(b *testing.B, db *pgxpool.Pool) dbCounters {
	b.Helper()
	var c dbCounters
	if err := db.QueryRow(context.Background(), `SELECT xact_commit, tup_inserted, tup_updated, tup_deleted
		FROM pg_stat_database WHERE datname = current_database()`).Scan(&c.commits, &c.inserted, &c.updated, &c.deleted); err != nil {
		b.Fatal(err)
	}
	return c
}

// reportPerEvent reports what one database did per event between two
// readings, under the name of its side (producer, consumer).
func reportPerEvent(b *testing.B, side string, before, after dbCounters, events int) {
	n := float64(events)
	b.ReportMetric(float64(after.commits-before.commits)/n, side+"-commits/event")
	b.ReportMetric(float64(after.inserted+after.updated+after.deleted-before.inserted-before.updated-before.deleted)/n, side+"-row-writes/event")
}

// reportCounters reports the commits and row writes per event of both
// databases since the pipeline started, once the sessions published them.
func (p *eshopPipeline) reportCounters(b *testing.B, events int) {
	if !*countWrites {
		return
	}
	time.Sleep(11 * time.Second)
	reportPerEvent(b, "producer", p.producerStart, countersOf(b, p.producerDB), events)
	reportPerEvent(b, "consumer", p.consumerStart, countersOf(b, p.consumerDB), events)
}
