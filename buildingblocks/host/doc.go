// Package host gives every service the same shape and runs it the same way.
//
// A service binary's main is one line, [Main]: it reads the service's
// Config (settings from the environment, named and defaulted in struct
// tags), answers the `healthcheck` and `settings` subcommands and the
// service's own ([Command]), and runs the
// [App] that the service's New builds. An App is what every service has —
// an HTTP router with /healthz and /readyz, JSON logs, the event bus, and
// for a service with a database its pool, migrations, outbox relay and inbox
// purge — plus
// what the service adds: its routes, start steps, event handlers and
// workers. [App.Run] waits out a database or broker that is down at start
// instead of crashing, and stops gracefully on SIGTERM.
//
// docs/service-anatomy.md walks through one service built this way.
package host
