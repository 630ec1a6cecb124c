-- One PostgreSQL role per service, owning only its database (events.md,
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
-- A service to come (webapp) gets its three statements here.
--
-- DEMO ONLY: the passwords below are for a local demo; in production
-- create the roles with passwords from your secret store.
\set ON_ERROR_STOP on

SELECT 'CREATE ROLE catalog LOGIN PASSWORD ''catalog-demo-password'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'catalog') \gexec
SELECT 'CREATE DATABASE catalogdb OWNER catalog'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'catalogdb') \gexec
REVOKE ALL ON DATABASE catalogdb FROM PUBLIC;

SELECT 'CREATE ROLE basket LOGIN PASSWORD ''basket-demo-password'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'basket') \gexec
SELECT 'CREATE DATABASE basketdb OWNER basket'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'basketdb') \gexec
REVOKE ALL ON DATABASE basketdb FROM PUBLIC;

SELECT 'CREATE ROLE ordering LOGIN PASSWORD ''ordering-demo-password'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ordering') \gexec
SELECT 'CREATE DATABASE orderingdb OWNER ordering'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'orderingdb') \gexec
REVOKE ALL ON DATABASE orderingdb FROM PUBLIC;

SELECT 'CREATE ROLE identity LOGIN PASSWORD ''identity-demo-password'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'identity') \gexec
SELECT 'CREATE DATABASE identitydb OWNER identity'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'identitydb') \gexec
REVOKE ALL ON DATABASE identitydb FROM PUBLIC;
