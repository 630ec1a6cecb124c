-- Every item has a version, the ETag of the HTTP API: an edit names the
-- version it read (If-Match) and is refused when the item changed since.
-- The trigger counts every UPDATE of the row, whoever makes it: the edits
-- of the API and the stock that the reservations of orders take and give
-- back. A column, not the row's xmin: it never wraps around, it survives a
-- dump and restore, and a reader of the schema sees it.
ALTER TABLE catalog_items ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version > 0);

CREATE FUNCTION catalog_items_count_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;

CREATE TRIGGER catalog_items_count_version BEFORE UPDATE ON catalog_items
    FOR EACH ROW EXECUTE FUNCTION catalog_items_count_version();
