// Package events holds the catalog's integration events, as the catalog
// sees them on the wire (docs/events.md): those it publishes (price changed,
// order stock confirmed or rejected) and those it consumes (an order awaiting
// validation, paid or cancelled), with one handler per consumed event.
//
// Other services declare their own types for the same events; nothing here
// is imported by them. Every handler runs through the inbox, so a duplicated
// delivery has no second effect, and the events it causes go through the
// outbox in the same transaction.
package events
