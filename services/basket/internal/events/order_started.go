package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/jackc/pgx/v5"
)

// OrderStartedIntegrationEvent tells that the order of a checkout was
// created, so the buyer's basket has done its job.
type OrderStartedIntegrationEvent struct {
	eventbus.IntegrationEvent
	UserID string `json:"UserId"`
}

// EventName is the routing key.
func (OrderStartedIntegrationEvent) EventName() string { return "OrderStartedIntegrationEvent" }

// DeleteOrderedBasket deletes the basket of the buyer whose order started.
func (h *Handlers) DeleteOrderedBasket(ctx context.Context, tx pgx.Tx, e OrderStartedIntegrationEvent) error {
	return h.Store.DeleteBasket(ctx, tx, e.UserID)
}
