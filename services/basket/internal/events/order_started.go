package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/jackc/pgx/v5"
)

// OrderStarted is ordering's OrderStartedIntegrationEvent: the order of a
// checkout was created, so the buyer's basket has done its job.
type OrderStarted struct {
	eventbus.IntegrationEvent
	UserID string `json:"UserId"`
}

// EventName is the routing key.
func (OrderStarted) EventName() string { return "OrderStartedIntegrationEvent" }

// OrderStartedHandlerName names the handler in the inbox.
const OrderStartedHandlerName = "basket.delete_ordered_basket"

// BasketDeleter deletes a buyer's basket in a transaction.
type BasketDeleter func(ctx context.Context, tx pgx.Tx, buyerID string) error

// DeleteOrderedBasket returns the handler that deletes the basket of the
// buyer whose order started.
func DeleteOrderedBasket(deleteBasket BasketDeleter) func(ctx context.Context, tx pgx.Tx, e OrderStarted) error {
	return func(ctx context.Context, tx pgx.Tx, e OrderStarted) error {
		return deleteBasket(ctx, tx, e.UserID)
	}
}
