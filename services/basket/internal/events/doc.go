// Package events holds the basket's integration events, as the basket sees
// them on the wire (events.md), and one handler per file for the events it
// consumes. Every handler runs through the inbox: its effects and the
// record that the event was handled commit in one transaction.
package events
