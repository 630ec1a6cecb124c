package events

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/catalog/internal/catalog"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Stock is what the order handlers need from the store. Each method works
// in the inbox transaction of the event being handled.
type Stock interface {
	ReserveStock(ctx context.Context, tx pgx.Tx, order catalog.OrderRef, lines []catalog.OrderLine) (catalog.Reservation, error)
	FinalizeReservation(ctx context.Context, tx pgx.Tx, order catalog.OrderRef) (bool, error)
	ReleaseReservation(ctx context.Context, tx pgx.Tx, order catalog.OrderRef) (catalog.ReservationState, error)
}

// Handlers handle the events the catalog consumes, one per file beside
// this one.
type Handlers struct {
	Stock  Stock
	Logger *slog.Logger
}

// Routes lists a route per event the catalog consumes, each handler running
// through the inbox of db. The inbox names must stay stable across
// releases: the inbox remembers which event each one has handled.
func (h *Handlers) Routes(db *pgxpool.Pool) []eventbus.Route {
	return []eventbus.Route{
		eventbus.On(inbox.Handler(db, "catalog.reserve_stock", h.ReserveStock)),
		eventbus.On(inbox.Handler(db, "catalog.finalize_stock", h.FinalizeStock)),
		eventbus.On(inbox.Handler(db, "catalog.release_stock", h.ReleaseStock)),
	}
}

// OrderStatusChanged is what every OrderStatusChangedTo…IntegrationEvent
// that the catalog consumes carries. OrderGUID is the order's uuid, unique
// across ordering's databases; an ordering that does not send it leaves it
// nil, and the order is known by its number alone (catalog.OrderRef).
type OrderStatusChanged struct {
	eventbus.IntegrationEvent
	OrderID           int64     `json:"OrderId"`
	OrderGUID         uuid.UUID `json:"OrderGuid"`
	OrderStatus       string    `json:"OrderStatus"`
	BuyerName         string    `json:"BuyerName"`
	BuyerIdentityGUID string    `json:"BuyerIdentityGuid"`
}

// order is the order the event is about.
func (e OrderStatusChanged) order() catalog.OrderRef {
	return catalog.OrderRef{Number: e.OrderID, GUID: e.OrderGUID}
}

// orderGUID is the uuid an answer names the order by: the one ordering
// sent, or none.
func (e OrderStatusChanged) orderGUID() *uuid.UUID {
	if e.OrderGUID == uuid.Nil {
		return nil
	}
	g := e.OrderGUID
	return &g
}

// OrderStockItem is a line of an order as ordering sends it with Paid.
type OrderStockItem struct {
	ProductID int64 `json:"ProductId"`
	Units     int   `json:"Units"`
}

// PricedOrderStockItem is a line of an order as ordering sends it to be
// reserved: with the unit price the buyer is to pay (nil when the event
// left it out).
type PricedOrderStockItem struct {
	OrderStockItem
	UnitPrice *money.Money `json:"UnitPrice"`
}

// orderLines returns the lines of items, or why they are invalid.
func orderLines(orderID int64, items []OrderStockItem) ([]catalog.OrderLine, error) {
	lines := make([]catalog.OrderLine, len(items))
	for i, it := range items {
		lines[i] = catalog.OrderLine{ProductID: it.ProductID, Units: it.Units}
	}
	return lines, catalog.ValidateOrder(orderID, lines, false)
}

// pricedOrderLines returns the lines of items with their unit prices, or
// why they are invalid.
func pricedOrderLines(orderID int64, items []PricedOrderStockItem) ([]catalog.OrderLine, error) {
	lines := make([]catalog.OrderLine, len(items))
	for i, it := range items {
		if it.UnitPrice == nil {
			return nil, fmt.Errorf("%w: order %d line %d has no UnitPrice", catalog.ErrInvalidOrder, orderID, i)
		}
		lines[i] = catalog.OrderLine{ProductID: it.ProductID, Units: it.Units, UnitPrice: *it.UnitPrice}
	}
	return lines, catalog.ValidateOrder(orderID, lines, true)
}
