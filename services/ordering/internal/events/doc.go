// Package events holds ordering's integration events: the ones it publishes
// (OrderStarted and the OrderStatusChangedTo… family, built from the
// domain's status changes by [StatusEvent]) and the ones it consumes from
// basket, catalog and payment, each in its own file. Catalog's and
// payment's answers each stand for a status command of the order, which
// [Answer] applies.
//
// Every handler runs through the inbox (see [Handlers.Routes]): its changes, the
// events they cause (outbox) and the record that the event was handled
// commit in one transaction, so a redelivered event has no second effect.
// An event that comes too late for the order's status (a duplicate under
// another id, a stock confirmation for a cancelled order) is logged and
// acknowledged: retrying it could never succeed.
package events
