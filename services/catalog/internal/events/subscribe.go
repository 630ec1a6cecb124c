package events

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Stock is what the order handlers need from the store. Each method works
// in the inbox transaction of the event being handled.
type Stock interface {
	ReserveStock(ctx context.Context, tx pgx.Tx, orderID int64, lines []catalog.OrderLine) (catalog.Reservation, error)
	FinalizeReservation(ctx context.Context, tx pgx.Tx, orderID int64) (bool, error)
	ReleaseReservation(ctx context.Context, tx pgx.Tx, orderID int64) (catalog.ReservationState, error)
}

// The inbox names of the handlers. They must stay stable across releases:
// the inbox remembers which event each one has handled.
const (
	reserveStockHandler  = "catalog.reserve_stock"
	finalizeStockHandler = "catalog.finalize_stock"
	releaseStockHandler  = "catalog.release_stock"
)

// Subscribe subscribes the catalog's handlers to the events it consumes,
// each through the inbox on pool.
func Subscribe(ctx context.Context, bus eventbus.Subscriber, pool *pgxpool.Pool, stock Stock, log *slog.Logger) error {
	if _, err := eventbus.Subscribe(ctx, bus, inbox.Handler(pool, reserveStockHandler, ReserveStock(stock, log))); err != nil {
		return fmt.Errorf("subscribe %s: %w", reserveStockHandler, err)
	}
	if _, err := eventbus.Subscribe(ctx, bus, inbox.Handler(pool, finalizeStockHandler, FinalizeStock(stock, log))); err != nil {
		return fmt.Errorf("subscribe %s: %w", finalizeStockHandler, err)
	}
	if _, err := eventbus.Subscribe(ctx, bus, inbox.Handler(pool, releaseStockHandler, ReleaseStock(stock, log))); err != nil {
		return fmt.Errorf("subscribe %s: %w", releaseStockHandler, err)
	}
	return nil
}

// OrderStockItem is a line of an order as ordering sends it.
type OrderStockItem struct {
	ProductID int64 `json:"ProductId"`
	Units     int   `json:"Units"`
}

func orderLines(items []OrderStockItem) []catalog.OrderLine {
	lines := make([]catalog.OrderLine, len(items))
	for i, it := range items {
		lines[i] = catalog.OrderLine{ProductID: it.ProductID, Units: it.Units}
	}
	return lines
}
