package events

import (
	"log/slog"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
)

// Tokens opens the payment tokens payment sealed.
type Tokens interface {
	Open(token string, now time.Time) (payment.Token, error)
}

// Spender records that a token pays an order, and refuses a token that
// already paid another one (payment.SpentTokens).
type Spender interface {
	Spend(t payment.Token, order int64, now time.Time) error
}

// Handlers handle the event payment consumes, in the file beside this one.
type Handlers struct {
	// Publisher publishes the answers; it returns once the broker confirmed.
	Publisher eventbus.Publisher
	// Tokens opens the token a charge request carries.
	Tokens Tokens
	// Spent makes each token pay one order.
	Spent Spender
	// Succeed is PAYMENT_SUCCEEDED: whether charges succeed.
	Succeed bool
	Logger  *slog.Logger
}

// Routes lists a route per event payment consumes. No inbox: answering a
// request twice publishes the same answer twice, which ordering's inbox
// drops.
func (h *Handlers) Routes() []eventbus.Route {
	return []eventbus.Route{
		eventbus.On(h.Charge),
	}
}
