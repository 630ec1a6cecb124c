// Package host runs a service process the same way for every service: its
// settings from the environment, JSON logs on stderr, /healthz and /readyz,
// the `healthcheck` subcommand for container health checks, a start that
// waits out a missing database or broker instead of crashing, and a graceful
// stop on SIGTERM.
//
// A service's main builds its parts and hands them to [Run]:
//
//	health := host.NewHealth()
//	health.Add("database", pool.Ping)
//	health.Add("broker", bus.Check)
//	return host.Run(ctx, host.Service{Addr: cfg.HTTPAddr, Handler: api, Health: health, Start: ..., Workers: ..., Stop: ...})
package host
