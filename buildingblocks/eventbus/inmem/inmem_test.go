package inmem_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/inmem"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

func TestTypedAndDynamicHandlersEachGetEveryEvent(t *testing.T) {
	ctx := context.Background()
	var bus inmem.Bus
	var typed []int64
	var raw []string
	sub, err := eventbus.Subscribe(ctx, &bus, func(_ context.Context, e testkit.PriceChanged) error {
		typed = append(typed, e.ProductID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: "ProductPriceChangedIntegrationEvent", Publisher: "tests", Handler: func(_ context.Context, m eventbus.Message) error {
		raw = append(raw, string(m.Body))
		return nil
	}}); err != nil {
		t.Fatal(err)
	}

	e := testkit.PriceChanged{IntegrationEvent: eventbus.NewIntegrationEvent(), ProductID: 7}
	if err := eventbus.Publish(ctx, &bus, e); err != nil {
		t.Fatal(err)
	}
	if len(typed) != 1 || typed[0] != 7 || len(raw) != 1 {
		t.Fatalf("typed=%v raw=%v, want one delivery each", typed, raw)
	}

	if err := sub.Unsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	if err := eventbus.Publish(ctx, &bus, e); err != nil {
		t.Fatal(err)
	}
	if len(typed) != 1 || len(raw) != 2 {
		t.Fatalf("after unsubscribe: typed=%v raw=%d, want typed unchanged and raw 2", typed, len(raw))
	}
}

func TestFailingHandlerIsParkedAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	bus := inmem.Bus{MaxAttempts: 3}
	calls := 0
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: "X", Publisher: "tests", Handler: func(context.Context, eventbus.Message) error {
		calls++
		return errors.New("boom")
	}}); err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(ctx, eventbus.Message{Name: "X"}); err != nil {
		t.Fatal(err)
	}
	if calls != 3 || len(bus.DeadLetters()) != 1 {
		t.Fatalf("calls=%d dead=%d, want 3 and 1", calls, len(bus.DeadLetters()))
	}
}

func TestInvalidEventIsParkedAtOnce(t *testing.T) {
	ctx := context.Background()
	var bus inmem.Bus
	calls := 0
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: "X", Publisher: "tests", Handler: func(context.Context, eventbus.Message) error {
		calls++
		return fmt.Errorf("%w: no product id", eventbus.ErrInvalidEvent)
	}}); err != nil {
		t.Fatal(err)
	}
	typed := 0
	if _, err := eventbus.Subscribe(ctx, &bus, func(context.Context, testkit.PriceChanged) error {
		typed++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(ctx, eventbus.Message{Name: "X"}); err != nil {
		t.Fatal(err)
	}
	// A body that does not decode is invalid too.
	if err := bus.Publish(ctx, eventbus.Message{Name: testkit.PriceChanged{}.EventName(), Body: []byte(`{"ProductId":"seven"}`)}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || typed != 0 || len(bus.DeadLetters()) != 2 {
		t.Fatalf("calls=%d typed=%d dead=%d, want 1, 0 and 2", calls, typed, len(bus.DeadLetters()))
	}
}
