-- The transactional outbox: the integration events a service committed
-- together with its business changes, until the relay has published them.
-- See buildingblocks/outbox and docs/outbox-inbox.md.
CREATE TABLE integration_event_log (
    -- seq orders the log: the relay publishes in seq order. It is taken when
    -- the row is inserted, so the events of a transaction that committed
    -- before another one started writing come first.
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       uuid        NOT NULL,
    event_name     text        NOT NULL,
    content        json        NOT NULL, -- json, not jsonb: the body goes out byte for byte
    created_at     timestamptz NOT NULL, -- the event's CreationDate
    state          text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'published')),
    attempts       integer     NOT NULL DEFAULT 0,  -- publish attempts so far
    published_at   timestamptz,
    last_error     text,                             -- why the last attempt failed
    app_id         text,
    correlation_id text,
    headers        jsonb                             -- extra string headers (traceparent …)
);

-- What the relay claims and what Backlog counts: only the pending rows.
CREATE INDEX integration_event_log_pending ON integration_event_log (seq) WHERE state = 'pending';
-- What the purge deletes: published rows by age.
CREATE INDEX integration_event_log_published ON integration_event_log (published_at) WHERE state = 'published';
