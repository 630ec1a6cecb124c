-- The identity service's tables: users, the throttle of failed sign-ins,
-- sign-ins in progress, refresh tokens and the token signing keys.
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL UNIQUE CHECK (email = lower(email)),
    name          text NOT NULL,
    roles         text[] NOT NULL DEFAULT '{}',
    password_hash bytea NOT NULL
);

-- One row per throttled key ('account:<email>' or 'ip:<address>'): its
-- failures in a row, and until when it is locked.
CREATE TABLE login_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    locked_until timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth_requests (
    id                    uuid PRIMARY KEY,
    client_id             text NOT NULL,
    redirect_uri          text NOT NULL,
    scopes                text[] NOT NULL,
    state                 text NOT NULL,
    nonce                 text NOT NULL,
    response_type         text NOT NULL,
    response_mode         text NOT NULL,
    code_challenge        text NOT NULL,
    code_challenge_method text NOT NULL,
    user_id               uuid REFERENCES users (id) ON DELETE CASCADE,
    auth_time             timestamptz,
    code                  text UNIQUE,
    created_at            timestamptz NOT NULL DEFAULT now()
);

-- A refresh token is kept as its SHA-256: the table does not hold a token
-- anyone could use.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  text NOT NULL,
    scopes     text[] NOT NULL,
    audience   text[] NOT NULL,
    auth_time  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX refresh_tokens_user_client ON refresh_tokens (user_id, client_id);

-- The newest key signs; the newest two are published (JWKS), so a token
-- signed just before a rotation still validates.
CREATE TABLE signing_keys (
    id          text PRIMARY KEY,
    private_key bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
