// Package events holds the webapp's integration events, as the webapp sees
// them on the wire (docs/events.md): the OrderStatusChangedTo… events of
// ordering that the storefront shows live, and the handlers that hand each
// one to the open pages of its buyer.
//
// Other services declare their own types for the same events; nothing here
// is imported by them. The webapp has no database, so no inbox: an event
// delivered twice is shown twice, which changes nothing on the page (the
// status is set, not counted). It does not consume
// OrderStatusChangedToStockConfirmedIntegrationEvent: that event carries
// the order's payment token, which only payment should read; the page
// shows StockConfirmed when it reads the order from ordering.
package events
