package ordering

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/google/uuid"
)

// ErrIllegalTransition is matched by the error of a command that does not
// apply to the order's current status (shipping an order that is not paid,
// confirming the stock of a cancelled one).
var ErrIllegalTransition = errors.New("illegal status transition")

// TransitionError tells which command was refused in which status.
type TransitionError struct {
	Command string
	From    Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s an order that is %s", e.Command, e.From)
}

// Is makes a TransitionError match ErrIllegalTransition.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegalTransition }

// StockItem is a product and how many units of it an order holds, at
// what unit price.
type StockItem struct {
	ProductID int64
	Units     int
	UnitPrice money.Money
}

// StatusChange is what an order tells the world when it changes status:
// the content of an OrderStatusChangedTo…IntegrationEvent.
type StatusChange struct {
	OrderNumber int64
	OrderGUID   uuid.UUID
	Status      Status
	BuyerID     string
	BuyerName   string
	// StockItems is set for AwaitingValidation (catalog reserves them, at
	// their unit prices) and Paid (catalog makes the reservation final).
	StockItems []StockItem
	// PaymentToken and Total are set for StockConfirmed: payment charges
	// the token for the total.
	PaymentToken string
	Total        money.Money
}

// Changes returns the status changes recorded since the order was created
// or loaded, in the order they happened, and forgets them. The caller
// publishes them in the transaction that saves the order.
func (o *Order) Changes() []StatusChange {
	out := make([]StatusChange, 0, len(o.changes))
	for _, s := range o.changes {
		c := StatusChange{OrderNumber: o.Number, OrderGUID: o.GUID, Status: s, BuyerID: o.Buyer.ID, BuyerName: o.Buyer.Name}
		if s == AwaitingValidation || s == Paid {
			c.StockItems = o.StockItems()
		}
		if s == StockConfirmed {
			c.PaymentToken, c.Total = o.Card.PaymentToken, o.Total()
		}
		out = append(out, c)
	}
	o.changes = nil
	return out
}

// AwaitValidation moves a Submitted order whose grace period is over to
// AwaitingValidation: catalog is asked to reserve its stock.
func (o *Order) AwaitValidation() error {
	return o.move("await validation for", AwaitingValidation, "", Submitted)
}

// ConfirmStock records that catalog reserved the order's stock.
func (o *Order) ConfirmStock() error {
	return o.move("confirm the stock of", StockConfirmed, "", AwaitingValidation)
}

// RejectStock cancels an order awaiting validation because catalog lacks
// stock for some products, or no longer sells some at the price the order
// has them at; the description names them.
func (o *Order) RejectStock(withoutStock, notAtPrice []int64) error {
	return o.move("reject the stock of", Cancelled, o.rejectionDescription(withoutStock, notAtPrice), AwaitingValidation)
}

// ConfirmPayment records that the payment succeeded.
func (o *Order) ConfirmPayment() error {
	return o.move("confirm the payment of", Paid, "", StockConfirmed)
}

// FailPayment cancels an order whose payment failed.
func (o *Order) FailPayment() error {
	return o.move("fail the payment of", Cancelled, "The payment was declined.", StockConfirmed)
}

// Ship ships a paid order.
func (o *Order) Ship() error {
	return o.move("ship", Shipped, "", Paid)
}

// Cancel cancels the order at the buyer's request, while it is Submitted
// or AwaitingValidation. From StockConfirmed on, payment may be taking the
// money (docs/events.md flow 6): a cancel then would leave an order Cancelled
// with its payment taken, so it is refused, as for a paid or shipped
// order. A cancelled order stays as it is (no change, no error).
func (o *Order) Cancel() error {
	if o.Status == Cancelled {
		return nil
	}
	return o.move("cancel", Cancelled, "The order was cancelled by the buyer.", Submitted, AwaitingValidation)
}

// move sets status to and records the change when the order is in one of
// from, else refuses with a *TransitionError. An order that becomes Paid
// or Cancelled forgets its payment token: it has paid, or never will, and
// a token kept is a token that can leak (the last four digits stay).
func (o *Order) move(command string, to Status, description string, from ...Status) error {
	for _, f := range from {
		if o.Status == f {
			o.Status = to
			if description != "" {
				o.Description = description
			}
			if to == Paid || to == Cancelled {
				o.Card.PaymentToken = ""
			}
			o.changes = append(o.changes, to)
			return nil
		}
	}
	return &TransitionError{Command: command, From: o.Status}
}

// rejectionDescription names the products catalog had no stock for and
// those it no longer sells at the order's price, by name when they are
// lines of the order.
func (o *Order) rejectionDescription(withoutStock, notAtPrice []int64) string {
	var reasons []string
	if len(withoutStock) > 0 {
		reasons = append(reasons, "out of stock: "+o.productNames(withoutStock))
	}
	if len(notAtPrice) > 0 {
		reasons = append(reasons, "no longer at the price ordered: "+o.productNames(notAtPrice))
	}
	if len(reasons) == 0 {
		return "The order was cancelled: some products are out of stock or no longer at the price ordered."
	}
	return "The order was cancelled: " + strings.Join(reasons, "; ") + "."
}

// productNames lists products, by name when they are lines of the order.
func (o *Order) productNames(productIDs []int64) string {
	names := make([]string, 0, len(productIDs))
	for _, id := range productIDs {
		name := "product " + strconv.FormatInt(id, 10)
		for _, it := range o.Items {
			if it.ProductID == id && it.ProductName != "" {
				name = it.ProductName + " (product " + strconv.FormatInt(id, 10) + ")"
				break
			}
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}
