// Package events holds payment's integration events, as payment sees them
// on the wire (docs/events.md): the request it consumes from ordering (an order
// whose stock is confirmed, to charge with its payment token) and the two
// answers it publishes (payment succeeded or failed), with the handler
// that answers.
//
// Other services declare their own types for the same events; nothing here
// is imported by them. Payment has no database, so no inbox and no outbox:
// the handler publishes its answer, with an id derived from the request's,
// and returns only once the broker confirmed it.
package events
