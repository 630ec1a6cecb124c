-- One PostgreSQL role per service, owning only its database (docs/events.md,
-- "Who may publish what"): catalog reaches catalogdb, basket basketdb,
-- ordering orderingdb, identity identitydb, and none of them another's
-- (CONNECT is revoked from PUBLIC, so only the owner and superusers
-- connect). Identity has no events, so no broker user, but a role all the
-- same: identitydb holds the users' password hashes. The roles may not
-- create databases or roles; each service finds its database here.
--
-- A psql script (\gexec), safe to run again: compose runs it once, on an
-- empty volume (docker-entrypoint-initdb.d), Kubernetes likewise (the
-- postgres-init Secret, generated from this file), and `make run` on every
-- start against the local server. A database that already exists is left
-- alone (run-local.sh says when its owner is not the service's role).
-- A service to come (webapp) gets its row in service_roles.
--
-- DEMO ONLY: the passwords below are for a local demo; in production
-- create the roles with passwords from your secret store.
\set ON_ERROR_STOP on

-- Each service's role (and password), whose database is the role's name
-- and db; psql runs the statements each SELECT writes (\gexec).
CREATE TEMPORARY TABLE service_roles (role text, password text);
INSERT INTO service_roles VALUES
    ('catalog', 'catalog-demo-password'),
    ('basket', 'basket-demo-password'),
    ('ordering', 'ordering-demo-password'),
    ('identity', 'identity-demo-password');

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', role, password) FROM service_roles
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role) \gexec
SELECT format('CREATE DATABASE %I OWNER %I', role || 'db', role) FROM service_roles
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = role || 'db') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', role || 'db') FROM service_roles \gexec
