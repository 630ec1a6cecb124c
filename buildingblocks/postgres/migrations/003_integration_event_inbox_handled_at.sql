-- What the inbox purge deletes: the rows of events handled longer ago than
-- the retention, oldest first, a chunk at a time (buildingblocks/inbox,
-- Purge). Without this index each chunk would scan the whole table.
CREATE INDEX integration_event_inbox_handled_at ON integration_event_inbox (handled_at);
