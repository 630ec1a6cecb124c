// Package events holds the basket's integration events, as the basket sees
// them on the wire (docs/events.md): the one it publishes (a checkout accepted)
// and those it consumes (a catalog price changed, an order started), with
// one handler per consumed event, methods of [Handlers].
//
// Other services declare their own types for the same events; nothing here
// is imported by them. Every handler runs through the inbox: its effects
// and the record that the event was handled commit in one transaction.
package events
