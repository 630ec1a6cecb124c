// Package testkit gives tests what they need from the real PostgreSQL and
// RabbitMQ, isolated from every other test: a fresh database each, unique
// exchange and queue names, removal of both when the test ends, and ways to
// break the connection to the broker without touching anybody else's.
//
// The servers are found through TEST_DATABASE_URL and TEST_RABBITMQ_URL
// (defaults: the local servers that `make deps` provides). A test that needs
// one that does not answer fails; it never skips.
package testkit
