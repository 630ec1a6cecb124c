package events_test

import (
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/events"
)

// asyncapi is the event contract, docs/asyncapi.yaml.
const asyncapi = "../../../../docs/asyncapi.yaml"

// The basket's event types are the ones the AsyncAPI document says it
// sends and receives, with the fields the document describes.
func TestEventTypesMatchTheAsyncAPIDocument(t *testing.T) {
	h, _ := newHandlers()
	testkit.LoadAsyncAPI(t, asyncapi).CheckService(t, "basket",
		[]eventbus.Event{events.UserCheckoutAcceptedIntegrationEvent{}},
		[]eventbus.Event{events.ProductPriceChangedIntegrationEvent{}, events.OrderStartedIntegrationEvent{}},
		h.Routes(nil))
}

// The basket applies or parks every example of the events it receives,
// and the edge cases their schemas make of them, as the document says.
// CreationDate it does not read.
func TestHandlesTheAsyncAPIDocumentsEvents(t *testing.T) {
	unread := []string{"CreationDate"}
	testkit.LoadAsyncAPI(t, asyncapi).CheckConsumers(t, "basket", map[string]testkit.Consumer{
		"ProductPriceChangedIntegrationEvent": {Handle: testkit.HandleBody(newHandlers, (*events.Handlers).FollowPriceChange), Unread: unread},
		"OrderStartedIntegrationEvent":        {Handle: testkit.HandleBody(newHandlers, (*events.Handlers).DeleteOrderedBasket), Unread: unread},
	})
}
