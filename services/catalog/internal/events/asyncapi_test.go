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
	doc := testkit.LoadAsyncAPI(t, asyncapi)
	doc.CheckEventTypes(t, "catalog",
		[]eventbus.Event{events.ProductPriceChangedIntegrationEvent{}, events.OrderStockConfirmedIntegrationEvent{}, events.OrderStockRejectedIntegrationEvent{}},
		[]eventbus.Event{events.OrderStatusChangedToAwaitingValidationIntegrationEvent{}, events.OrderStatusChangedToPaidIntegrationEvent{}, events.OrderStatusChangedToCancelledIntegrationEvent{}})
	h, _ := newHandlers()
	doc.CheckSubscriptions(t, "catalog", h.Routes(nil))
}

// The catalog applies or parks every example of the events it receives,
// and the edge cases their schemas make of them, as the document says.
// It reads only the order and its stock items.
func TestHandlesTheAsyncAPIDocumentsEvents(t *testing.T) {
	doc := testkit.LoadAsyncAPI(t, asyncapi)
	unread := []string{"CreationDate", "OrderStatus", "BuyerName", "BuyerIdentityGuid"}
	doc.CheckConsumer(t, "catalog", "OrderStatusChangedToAwaitingValidationIntegrationEvent", testkit.HandleBody(newHandlers, (*events.Handlers).ReserveStock), unread...)
	doc.CheckConsumer(t, "catalog", "OrderStatusChangedToPaidIntegrationEvent", testkit.HandleBody(newHandlers, (*events.Handlers).FinalizeStock), unread...)
	doc.CheckConsumer(t, "catalog", "OrderStatusChangedToCancelledIntegrationEvent", testkit.HandleBody(newHandlers, (*events.Handlers).ReleaseStock), unread...)
}
