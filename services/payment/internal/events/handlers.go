package events

import (
	"log/slog"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// Handlers handle the event payment consumes, in the file beside this one.
type Handlers struct {
	// Publisher publishes the answers; it returns once the broker confirmed.
	Publisher eventbus.Publisher
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
