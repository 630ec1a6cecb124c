-- The idempotent inbox: which handler has handled which event. A handler's
-- effects and its row here commit in one transaction, so a redelivered or
-- duplicated event finds the row and has no second effect.
-- See buildingblocks/inbox and docs/outbox-inbox.md.
CREATE TABLE integration_event_inbox (
    event_id   uuid        NOT NULL,
    handler    text        NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, handler)
);
