-- The W3C trace context of the transaction that stored an event, so that
-- the relay publishes it as part of its cause's trace, even long after (a
-- broker outage). Rows stored before have none: they go out in a trace of
-- their own. See buildingblocks/tracing and docs/observability.md.
ALTER TABLE integration_event_log
    ADD COLUMN traceparent text,
    ADD COLUMN tracestate  text;
