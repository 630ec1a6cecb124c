package events_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/inmem"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/payment/internal/events"
)

// asyncapi is the event contract, docs/asyncapi.yaml.
const asyncapi = "../../../../docs/asyncapi.yaml"

// Payment's event types are the ones the AsyncAPI document says it sends
// and receives, with the fields the document describes.
func TestEventTypesMatchTheAsyncAPIDocument(t *testing.T) {
	testkit.LoadAsyncAPI(t, asyncapi).CheckService(t, "payment",
		[]eventbus.Event{events.OrderPaymentSucceededIntegrationEvent{}, events.OrderPaymentFailedIntegrationEvent{}},
		[]eventbus.Event{events.OrderStatusChangedToStockConfirmedIntegrationEvent{}},
		(&events.Handlers{}).Routes())
}

// Payment answers or parks every example of the charge request, and the
// edge cases its schema makes of them, as the document says; it does not
// read the order's status or buyer, and CreationDate only dates the
// answer. (The examples' tokens are not this payment's: it answers
// OrderPaymentFailed, which is applying the request.)
func TestHandlesTheAsyncAPIDocumentsEvents(t *testing.T) {
	tokens := newTokens(t)
	charge := func(body []byte) error {
		bus := &inmem.Bus{}
		e, err := eventbus.Decode[events.OrderStatusChangedToStockConfirmedIntegrationEvent](eventbus.Message{Body: body})
		if err == nil {
			err = handlers(bus, tokens, true, &strings.Builder{}).Charge(context.Background(), e)
		}
		if errors.Is(err, eventbus.ErrInvalidEvent) && len(bus.Published()) > 0 {
			return fmt.Errorf("invalid (%v), yet answered", err)
		}
		return err
	}
	testkit.LoadAsyncAPI(t, asyncapi).CheckConsumers(t, "payment", map[string]testkit.Consumer{
		"OrderStatusChangedToStockConfirmedIntegrationEvent": {Handle: charge, Unread: []string{"CreationDate", "OrderStatus", "BuyerName", "BuyerIdentityGuid"}},
	})
}
