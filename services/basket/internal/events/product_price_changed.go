package events

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/jackc/pgx/v5"
)

// ProductPriceChangedIntegrationEvent tells that a catalog item's price
// changed. PriceVersion is catalog's per-product price counter; a publisher
// that does not send it leaves it 0.
type ProductPriceChangedIntegrationEvent struct {
	eventbus.IntegrationEvent
	ProductID    int64       `json:"ProductId"`
	NewPrice     money.Money `json:"NewPrice"`
	OldPrice     money.Money `json:"OldPrice"`
	PriceVersion int64       `json:"PriceVersion"`
}

// EventName is the routing key.
func (ProductPriceChangedIntegrationEvent) EventName() string {
	return "ProductPriceChangedIntegrationEvent"
}

// Publisher is the service that publishes it.
func (ProductPriceChangedIntegrationEvent) Publisher() string { return "catalog" }

// FollowPriceChange makes the basket lines follow a catalog price change:
// it asks the domain what the change does, given the product's latest
// known price (basket.PriceChange.Follow), and the store applies that to
// every line of the product. A change no catalog would send
// (basket.PriceChange.Validate) is an eventbus.ErrInvalidEvent, refused
// before it has any effect: the bus parks it at once.
func (h *Handlers) FollowPriceChange(ctx context.Context, tx pgx.Tx, e ProductPriceChangedIntegrationEvent) error {
	change := basket.PriceChange{ProductID: e.ProductID, OldPrice: e.OldPrice, NewPrice: e.NewPrice, Version: e.PriceVersion}
	if err := change.Validate(); err != nil {
		return eventbus.Invalid(e, err)
	}
	known, err := h.Store.LockProductPrice(ctx, tx, change.ProductID)
	if err != nil {
		return err
	}
	follow := change.Follow(known)
	lines, err := h.Store.FollowPrice(ctx, tx, follow)
	if err != nil {
		return err
	}
	h.Logger.InfoContext(ctx, "basket lines follow a price change", "product_id", change.ProductID,
		"price_version", change.Version, "latest_price", follow.Latest.Price.String(), "lines", lines, "event_id", e.ID)
	return nil
}
