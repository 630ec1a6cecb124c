package events_test

import (
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/events"
)

// asyncapi is the event contract, docs/asyncapi.yaml.
const asyncapi = "../../../../docs/asyncapi.yaml"

// The catalog's event types are the ones the AsyncAPI document says it
// sends and receives, with the fields the document describes.
func TestEventTypesMatchTheAsyncAPIDocument(t *testing.T) {
	h, _ := newHandlers()
	testkit.LoadAsyncAPI(t, asyncapi).CheckService(t, "catalog",
		[]eventbus.Event{events.ProductPriceChangedIntegrationEvent{}, events.OrderStockConfirmedIntegrationEvent{}, events.OrderStockRejectedIntegrationEvent{}},
		[]eventbus.Event{events.OrderStatusChangedToAwaitingValidationIntegrationEvent{}, events.OrderStatusChangedToPaidIntegrationEvent{}, events.OrderStatusChangedToCancelledIntegrationEvent{}},
		h.Routes(nil))
}

// The catalog applies or parks every example of the events it receives,
// and the edge cases their schemas make of them, as the document says.
// It reads only the order and its stock items.
func TestHandlesTheAsyncAPIDocumentsEvents(t *testing.T) {
	unread := []string{"CreationDate", "OrderStatus", "BuyerName", "BuyerIdentityGuid"}
	testkit.LoadAsyncAPI(t, asyncapi).CheckConsumers(t, "catalog", map[string]testkit.Consumer{
		"OrderStatusChangedToAwaitingValidationIntegrationEvent": {Handle: testkit.HandleBody(newHandlers, (*events.Handlers).ReserveStock), Unread: unread},
		"OrderStatusChangedToPaidIntegrationEvent":               {Handle: testkit.HandleBody(newHandlers, (*events.Handlers).FinalizeStock), Unread: unread},
		"OrderStatusChangedToCancelledIntegrationEvent":          {Handle: testkit.HandleBody(newHandlers, (*events.Handlers).ReleaseStock), Unread: unread},
	})
}
