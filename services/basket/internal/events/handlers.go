package events

import (
	"context"
	"log/slog"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is what the handlers need from the store. Each method works in the
// inbox transaction of the event being handled.
type Store interface {
	// LockProductPrice locks the product's price changes until tx ends and
	// returns its latest known price.
	LockProductPrice(ctx context.Context, tx pgx.Tx, productID int64) (basket.ProductPrice, error)
	// FollowPrice applies a price change's effect to the basket lines.
	FollowPrice(ctx context.Context, tx pgx.Tx, f basket.PriceFollow) (int64, error)
	// DeleteBasket deletes the buyer's basket.
	DeleteBasket(ctx context.Context, tx pgx.Tx, buyerID string) error
}

// Handlers handle the events the basket consumes, one per file beside this
// one.
type Handlers struct {
	Store  Store
	Logger *slog.Logger
}

// Routes lists a route per event the basket consumes, each handler running
// through the inbox of db. The inbox names must stay stable across
// releases: the inbox remembers which event each one has handled.
func (h *Handlers) Routes(db *pgxpool.Pool) []eventbus.Route {
	return []eventbus.Route{
		eventbus.On(inbox.Handler(db, "basket.follow_price_change", h.FollowPriceChange)),
		eventbus.On(inbox.Handler(db, "basket.delete_ordered_basket", h.DeleteOrderedBasket)),
	}
}
