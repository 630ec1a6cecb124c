-- Runs once, when the PostgreSQL container starts on an empty volume: one
-- database per service, as each service owns its data. (Each service also
-- creates its own database when it is missing, so this is for clarity and
-- for roles that may not create databases.)
CREATE DATABASE catalogdb;
CREATE DATABASE basketdb;
CREATE DATABASE orderingdb;
