-- The W3C trace context of the checkout that created an order: the
-- grace-period worker, started by a timer long after, begins a new trace
-- for the order and links it to this one (docs/observability.md). Orders
-- created before have none; their new trace has no link.
ALTER TABLE orders
    ADD COLUMN traceparent text,
    ADD COLUMN tracestate  text;
