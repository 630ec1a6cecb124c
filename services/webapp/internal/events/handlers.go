package events

import (
	"context"
	"fmt"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/validate"
	"github.com/eshop-go/eshop-go/services/webapp/internal/live"
)

// Shower shows an order's new status on the open pages of its buyer.
type Shower interface {
	Show(buyerID string, change live.StatusChange)
}

// Handlers handle the events the webapp consumes (status_changed.go): each
// shows the status its name says on the open pages of the order's buyer.
type Handlers struct {
	Pages Shower
}

// Routes lists a route per event the webapp consumes. No inbox: showing a
// status twice is harmless.
func (h *Handlers) Routes() []eventbus.Route {
	return []eventbus.Route{
		eventbus.On(showStatus[OrderStatusChangedToSubmittedIntegrationEvent](h, "Submitted")),
		eventbus.On(showStatus[OrderStatusChangedToAwaitingValidationIntegrationEvent](h, "AwaitingValidation")),
		eventbus.On(showStatus[OrderStatusChangedToPaidIntegrationEvent](h, "Paid")),
		eventbus.On(showStatus[OrderStatusChangedToShippedIntegrationEvent](h, "Shipped")),
		eventbus.On(showStatus[OrderStatusChangedToCancelledIntegrationEvent](h, "Cancelled")),
	}
}

// statusEvent is an OrderStatusChangedTo… event as the webapp reads it.
type statusEvent interface {
	eventbus.Event
	statusChange() orderStatusChange
}

// showStatus returns the handler of event E: it shows the order status on
// its buyer's open pages.
func showStatus[E statusEvent](h *Handlers, status string) func(context.Context, E) error {
	return func(_ context.Context, e E) error { return h.show(e, e.statusChange(), status) }
}

// validate reports a change no ordering would send, wrapping
// eventbus.ErrInvalidEvent: it is parked at once and shows nothing.
func (c orderStatusChange) validate(e eventbus.Event) error {
	switch {
	case c.OrderID <= 0:
		return eventbus.Invalid(e, fmt.Errorf("order id %d is not positive", c.OrderID))
	case validate.BuyerID(c.BuyerIdentityGUID) != nil:
		return eventbus.Invalid(e, fmt.Errorf("order %d: BuyerIdentityGuid %w", c.OrderID, validate.BuyerID(c.BuyerIdentityGUID)))
	}
	return nil
}

// show validates the change e carries and shows status on its buyer's pages.
func (h *Handlers) show(e eventbus.Event, c orderStatusChange, status string) error {
	if err := c.validate(e); err != nil {
		return err
	}
	h.Pages.Show(c.BuyerIdentityGUID, live.StatusChange{OrderNumber: c.OrderID, Status: status})
	return nil
}
