package outbox

import (
	"context"
	"fmt"
	"time"
)

// Backlog is what a relay has still to publish.
type Backlog struct {
	// Pending is the number of events not yet published.
	Pending int
	// OldestAge is the age of the oldest of them (by its CreationDate), 0
	// when none is pending.
	OldestAge time.Duration
}

// Backlog reports the pending events of the table the relay serves (those
// of every relay on it), for metrics and health checks.
func (r *Relay) Backlog(ctx context.Context) (Backlog, error) {
	var (
		b      Backlog
		oldest *time.Time
	)
	err := r.pool.QueryRow(ctx,
		`SELECT count(*), min(created_at) FROM integration_event_log WHERE state = 'pending'`).Scan(&b.Pending, &oldest)
	if err != nil {
		return Backlog{}, fmt.Errorf("outbox: backlog: %w", err)
	}
	if oldest != nil {
		b.OldestAge = max(time.Since(*oldest), 0)
	}
	return b, nil
}
