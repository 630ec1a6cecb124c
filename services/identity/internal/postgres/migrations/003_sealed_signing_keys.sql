-- A signing key's private half is sealed with IDENTITY_KEY_SEAL (AES-GCM,
-- bound to the key's id); keys stored in clear before are sealed at the
-- first start (Store.SealClearKeys).
ALTER TABLE signing_keys ADD COLUMN sealed boolean NOT NULL DEFAULT false;
