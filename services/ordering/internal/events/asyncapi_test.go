package events_test

import (
	"context"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
	"github.com/jackc/pgx/v5"
)

// asyncapi is the event contract, docs/asyncapi.yaml.
const asyncapi = "../../../../docs/asyncapi.yaml"

// Ordering's event types are the ones the AsyncAPI document says it sends
// and receives, with the fields the document describes.
func TestEventTypesMatchTheAsyncAPIDocument(t *testing.T) {
	h, _ := newHandlers()
	testkit.LoadAsyncAPI(t, asyncapi).CheckService(t, "ordering",
		[]eventbus.Event{
			events.OrderStartedIntegrationEvent{},
			events.OrderStatusChangedToSubmittedIntegrationEvent{},
			events.OrderStatusChangedToAwaitingValidationIntegrationEvent{},
			events.OrderStatusChangedToStockConfirmedIntegrationEvent{},
			events.OrderStatusChangedToPaidIntegrationEvent{},
			events.OrderStatusChangedToShippedIntegrationEvent{},
			events.OrderStatusChangedToCancelledIntegrationEvent{},
		},
		[]eventbus.Event{
			events.UserCheckoutAcceptedIntegrationEvent{},
			events.OrderStockConfirmedIntegrationEvent{},
			events.OrderStockRejectedIntegrationEvent{},
			events.OrderPaymentSucceededIntegrationEvent{},
			events.OrderPaymentFailedIntegrationEvent{},
		},
		h.Routes(nil))
}

// Ordering applies or parks every example of the events it receives, and
// the edge cases their schemas make of them, as the document says, but for
// the fields it does not read: CreationDate (it only bounds the card's
// expiry), a basket line's OldUnitPrice, and the lines of a stock
// rejection (the order is cancelled whatever they say; they only name the
// products in the log).
func TestHandlesTheAsyncAPIDocumentsEvents(t *testing.T) {
	unread := []string{"CreationDate"}
	testkit.LoadAsyncAPI(t, asyncapi).CheckConsumers(t, "ordering", map[string]testkit.Consumer{
		"UserCheckoutAcceptedIntegrationEvent":  {Handle: testkit.HandleBody(newHandlers, (*events.Handlers).CreateOrder), Unread: []string{"CreationDate", "Basket.Items[].OldUnitPrice"}},
		"OrderStockConfirmedIntegrationEvent":   {Handle: answerBody(events.Answer[events.OrderStockConfirmedIntegrationEvent]), Unread: unread},
		"OrderStockRejectedIntegrationEvent":    {Handle: answerBody(events.Answer[events.OrderStockRejectedIntegrationEvent]), Unread: []string{"CreationDate", "OrderStockItems"}},
		"OrderPaymentSucceededIntegrationEvent": {Handle: answerBody(events.Answer[events.OrderPaymentSucceededIntegrationEvent]), Unread: unread},
		"OrderPaymentFailedIntegrationEvent":    {Handle: answerBody(events.Answer[events.OrderPaymentFailedIntegrationEvent]), Unread: unread},
	})
}

// answerBody is the handling of a body by ordering's handler of the answer E.
func answerBody[E eventbus.Event](answer func(*events.Handlers) func(context.Context, pgx.Tx, E) error) func([]byte) error {
	return testkit.HandleBody(newHandlers, func(h *events.Handlers, ctx context.Context, tx pgx.Tx, e E) error { return answer(h)(ctx, tx, e) })
}
