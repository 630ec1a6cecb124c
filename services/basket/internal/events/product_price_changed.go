package events

import (
	"context"
	"fmt"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/jackc/pgx/v5"
)

// ProductPriceChanged is catalog's ProductPriceChangedIntegrationEvent.
// PriceVersion is catalog's per-product price counter; a publisher that
// does not send it leaves it 0.
type ProductPriceChanged struct {
	eventbus.IntegrationEvent
	ProductID    int64       `json:"ProductId"`
	NewPrice     money.Money `json:"NewPrice"`
	OldPrice     money.Money `json:"OldPrice"`
	PriceVersion int64       `json:"PriceVersion"`
}

// EventName is the routing key.
func (ProductPriceChanged) EventName() string { return "ProductPriceChangedIntegrationEvent" }

// PriceChangeHandlerName names the handler in the inbox.
const PriceChangeHandlerName = "basket.follow_price_change"

// PriceUpdater applies a price change to the basket lines in a transaction.
type PriceUpdater func(ctx context.Context, tx pgx.Tx, c basket.PriceChange) (int64, error)

// FollowPriceChange returns the handler that makes basket lines follow a
// catalog price change (see postgres.ApplyPriceChange for the rule). It
// runs inside the inbox transaction tx.
func FollowPriceChange(update PriceUpdater) func(ctx context.Context, tx pgx.Tx, e ProductPriceChanged) error {
	return func(ctx context.Context, tx pgx.Tx, e ProductPriceChanged) error {
		change := basket.PriceChange{
			ProductID: e.ProductID,
			OldPrice:  e.OldPrice,
			NewPrice:  e.NewPrice,
			Version:   e.PriceVersion,
		}
		if err := change.Validate(); err != nil {
			return fmt.Errorf("%s %s: %w", e.EventName(), e.ID, err)
		}
		_, err := update(ctx, tx, change)
		return err
	}
}
