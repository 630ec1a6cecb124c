-- An authorization code lives a minute from when it was issued, and is
-- taken (set to NULL) by its one redemption.
ALTER TABLE auth_requests ADD COLUMN code_issued_at timestamptz;

-- The refresh tokens one sign-in got form a family. A used token is kept
-- (used_at set) until the family expires, so that its reuse is recognised
-- and revokes the whole family.
ALTER TABLE refresh_tokens
    ADD COLUMN family  uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN used_at timestamptz;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

