// Package bench measures the event pipeline of the building blocks beside
// its peer and its limit, in one run (make bench): the outbox → relay →
// RabbitMQ → inbox path, Watermill's SQL outbox with its forwarder and AMQP
// subscriber on the same broker and database, and PostgreSQL's own rate of
// one-row insert transactions (pgbench). It is a module of its own, so that
// no service depends on Watermill. It holds benchmarks only.
package bench
