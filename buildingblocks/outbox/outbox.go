package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
	"github.com/jackc/pgx/v5"
)

// notifyChannel is the LISTEN/NOTIFY channel on which committing producers
// wake a sleeping relay. NOTIFY is scoped to the database, so every service
// can use the same name.
const notifyChannel = "integration_event_log"

// sleeperLock is the advisory lock key a relay holds, exclusively, while it
// sleeps waiting for a notification; producers take it shared (and only try)
// to learn whether one is sleeping. See [Relay] for why.
const sleeperLock int64 = 0x6f7574626f78 // "outbox"

// insertEvents stores the messages and, when a relay sleeps, notifies it.
//
// NOTIFY serializes the commits of every transaction that sends one (they
// queue for a single database-wide lock until their commit is flushed),
// which halves the commit rate of busy producers. So a producer notifies
// only when it cannot take sleeperLock shared, that is when a relay holds
// it: a relay that is working does not need waking. A producer that does
// take the lock keeps it until its commit, and a relay going to sleep waits
// for exactly those producers before its last look at the table, so no
// event is left waiting for the sweep.
const insertEvents = `
WITH inserted AS (
	INSERT INTO integration_event_log
		(event_id, event_name, created_at, content, app_id, correlation_id, headers, traceparent, tracestate)
	SELECT id, name, created_at, content::json, app_id, correlation_id, headers::jsonb, traceparent, tracestate
	FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
	            $10::text[], $11::text[])
		AS m(id, name, created_at, content, app_id, correlation_id, headers, traceparent, tracestate)
)
SELECT pg_notify($8, '') WHERE NOT pg_try_advisory_xact_lock_shared($9)`

// Add stores events in tx, the transaction of the business change that
// caused them; the relay publishes them once tx has committed, and never if
// it rolls back. The messages carry the correlation id of ctx and the
// trace context of its span, which the relay's publish continues.
func Add(ctx context.Context, tx pgx.Tx, events ...eventbus.Event) error {
	msgs := make([]eventbus.Message, 0, len(events))
	correlationID := eventbus.CorrelationID(ctx)
	trace := tracing.Headers(ctx)
	for _, e := range events {
		m, err := eventbus.Encode(e)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		m.CorrelationID = correlationID
		m.Headers = trace // only read from here on
		msgs = append(msgs, m)
	}
	return addMessages(ctx, tx, msgs...)
}

// addMessages stores encoded messages in tx. A message without a Time gets
// the current time. The trace context in a message's headers goes to the
// columns traceparent and tracestate, its other headers to headers.
func addMessages(ctx context.Context, tx pgx.Tx, msgs ...eventbus.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	n := len(msgs)
	var (
		eventIDs       = make([]string, n)
		names          = make([]string, n)
		times          = make([]time.Time, n)
		contents       = make([]string, n)
		appIDs         = make([]*string, n)
		correlationIDs = make([]*string, n)
		headers        = make([]*string, n)
		traceparents   = make([]*string, n)
		tracestates    = make([]*string, n)
	)
	now := time.Now().UTC()
	for i, m := range msgs {
		if m.Name == "" {
			return fmt.Errorf("outbox: message %s has no event name", m.ID)
		}
		eventIDs[i] = m.ID.String()
		names[i] = m.Name
		times[i] = m.Time
		if m.Time.IsZero() {
			times[i] = now
		}
		contents[i] = string(m.Body)
		appIDs[i] = nullable(m.AppID)
		correlationIDs[i] = nullable(m.CorrelationID)
		traceparents[i] = nullable(m.Headers[tracing.TraceparentHeader])
		tracestates[i] = nullable(m.Headers[tracing.TracestateHeader])
		if other := withoutTraceContext(m.Headers); len(other) > 0 {
			h, err := json.Marshal(other)
			if err != nil {
				return fmt.Errorf("outbox: headers of %s %s: %w", m.Name, m.ID, err)
			}
			s := string(h)
			headers[i] = &s
		}
	}
	if _, err := tx.Exec(ctx, insertEvents, eventIDs, names, times, contents, appIDs, correlationIDs, headers,
		notifyChannel, sleeperLock, traceparents, tracestates); err != nil {
		return fmt.Errorf("outbox: store %d event(s): %w", n, err)
	}
	return nil
}

// withoutTraceContext is headers without traceparent and tracestate (headers
// itself when it has neither).
func withoutTraceContext(headers map[string]string) map[string]string {
	_, tp := headers[tracing.TraceparentHeader]
	_, ts := headers[tracing.TracestateHeader]
	if !tp && !ts {
		return headers
	}
	other := maps.Clone(headers)
	delete(other, tracing.TraceparentHeader)
	delete(other, tracing.TracestateHeader)
	return other
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// withTraceContext is headers with the stored trace context added, if any.
func withTraceContext(headers map[string]string, traceparent, tracestate *string) map[string]string {
	if traceparent == nil {
		return headers
	}
	if headers == nil {
		headers = make(map[string]string, 2)
	}
	headers[tracing.TraceparentHeader] = *traceparent
	if tracestate != nil {
		headers[tracing.TracestateHeader] = *tracestate
	}
	return headers
}
