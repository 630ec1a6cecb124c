package events

import (
	"context"
	"fmt"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
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

// Publisher is the service that publishes it.
func (OrderStartedIntegrationEvent) Publisher() string { return "ordering" }

// DeleteOrderedBasket deletes the basket of the buyer whose order started.
// A UserId that is no buyer id (basket.ValidateBuyerID) is an
// eventbus.ErrInvalidEvent, refused before it has any effect.
func (h *Handlers) DeleteOrderedBasket(ctx context.Context, tx pgx.Tx, e OrderStartedIntegrationEvent) error {
	if err := basket.ValidateBuyerID(e.UserID); err != nil {
		return eventbus.Invalid(e, fmt.Errorf("UserId %q %w", e.UserID, err))
	}
	return h.Store.DeleteBasket(ctx, tx, e.UserID)
}
