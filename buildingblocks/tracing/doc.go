// Package tracing is how the shop's traces are made and carried: the
// OpenTelemetry SDK set up from OpenTelemetry's standard environment
// variables ([Setup]), and the W3C trace context (traceparent, tracestate)
// that travels with a request or an event ([Headers], [Extract]) from an
// HTTP request into the outbox row, onto the wire and into the handler of
// another service. See docs/observability.md.
//
// The building blocks instrument themselves with it, once for every
// service: host (HTTP server spans, the logger's trace ids), postgres (pgx
// spans), outbox (the stored context), eventbus/rabbitmq (publish and
// process spans). A service's own code only passes its ctx along, and
// starts a trace of its own for work a timer started ([NewTrace]).
package tracing
