// Package outbox is the transactional outbox: a service stores the
// integration events a change causes in the same PostgreSQL transaction as
// the change ([Add]), and a [Relay] publishes them to the event bus after
// the commit, retrying until the bus has confirmed each one. A crash or a
// broker outage between the commit and the publish delays events; it never
// loses them, and a rolled-back transaction publishes nothing.
//
// Delivery is at least once: a relay that dies after the broker confirmed a
// batch but before marking it published sends that batch again, so
// consumers handle events through the inbox package, which drops the
// duplicates.
//
// The table, integration_event_log, is created by postgres.Migrate. How the
// relay claims rows, in which order it publishes, how it is woken and what
// it purges is described on [Relay] and in docs/outbox-inbox.md.
package outbox
