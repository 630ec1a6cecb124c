package events_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/webapp/internal/events"
	"github.com/eshop-go/eshop-go/services/webapp/internal/live"
)

// asyncapi is the event contract, docs/asyncapi.yaml.
const asyncapi = "../../../../docs/asyncapi.yaml"

// shown records what the handlers showed, by buyer.
type shown map[string][]live.StatusChange

func (s shown) Show(buyerID string, c live.StatusChange) { s[buyerID] = append(s[buyerID], c) }

// The webapp's event types are the ones the AsyncAPI document says it
// receives, with the fields the document describes.
func TestEventTypesMatchTheAsyncAPIDocument(t *testing.T) {
	testkit.LoadAsyncAPI(t, asyncapi).CheckService(t, "webapp", nil, []eventbus.Event{
		events.OrderStatusChangedToSubmittedIntegrationEvent{}, events.OrderStatusChangedToAwaitingValidationIntegrationEvent{},
		events.OrderStatusChangedToPaidIntegrationEvent{}, events.OrderStatusChangedToShippedIntegrationEvent{},
		events.OrderStatusChangedToCancelledIntegrationEvent{},
	}, (&events.Handlers{}).Routes())
}

// handle runs a body through the route of its event, as the bus would:
// parked (ErrInvalidEvent) or shown, and an invalid one shows nothing.
func handle(name string) func(body []byte) error {
	return func(body []byte) error {
		pages := shown{}
		for _, r := range (&events.Handlers{Pages: pages}).Routes() {
			if r.EventName != name {
				continue
			}
			err := r.Handler(context.Background(), eventbus.Message{Name: name, Body: body})
			if errors.Is(err, eventbus.ErrInvalidEvent) && len(pages) > 0 {
				return fmt.Errorf("invalid (%v), yet shown", err)
			}
			if err == nil && len(pages) != 1 {
				return fmt.Errorf("applied, yet shown to %d buyers", len(pages))
			}
			return err
		}
		return fmt.Errorf("no route for %s", name)
	}
}

// The webapp shows or parks every example of the events it receives, and
// the edge cases their schemas make of them, as the document says. It
// reads only the order and its buyer: the status is the event's name.
func TestHandlesTheAsyncAPIDocumentsEvents(t *testing.T) {
	unread := []string{"CreationDate", "OrderStatus", "BuyerName", "OrderStockItems"}
	consumers := map[string]testkit.Consumer{}
	for _, status := range []string{"Submitted", "AwaitingValidation", "Paid", "Shipped", "Cancelled"} {
		name := "OrderStatusChangedTo" + status + "IntegrationEvent"
		consumers[name] = testkit.Consumer{Handle: handle(name), Unread: unread}
	}
	testkit.LoadAsyncAPI(t, asyncapi).CheckConsumers(t, "webapp", consumers)
}

// Each event shows its status to the order's buyer.
func TestEachEventShowsItsStatusToTheBuyer(t *testing.T) {
	pages := shown{}
	h := &events.Handlers{Pages: pages}
	for _, r := range h.Routes() {
		body := `{"Id":"6f1c2a4e-3b7d-4e8f-9a10-2b3c4d5e6f70","OrderId":7,"BuyerIdentityGuid":"b-1","OrderStatus":"ignored"}`
		if err := r.Handler(context.Background(), eventbus.Message{Name: r.EventName, Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	var statuses []string
	for _, c := range pages["b-1"] {
		if c.OrderNumber != 7 {
			t.Fatalf("change %+v", c)
		}
		statuses = append(statuses, c.Status)
	}
	if fmt.Sprint(statuses) != "[Submitted AwaitingValidation Paid Shipped Cancelled]" || len(pages) != 1 {
		t.Fatalf("shown %v", pages)
	}
}
