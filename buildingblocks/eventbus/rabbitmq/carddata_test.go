package rabbitmq_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// A handler's error may quote the event it failed on, card number and all.
// What the bus records on the message (retries and the parked copy) and
// what it logs has the card data masked.
func TestCardDataInAHandlersErrorReachesNeitherDeadLettersNorLogs(t *testing.T) {
	const number, spaced = "4012888888881881", "4012 8888 8888 1881"
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"a failing handler", fmt.Errorf(`declined: {"CardNumber":"%s"} (%s)`, number, spaced)},
		{"an invalid event", fmt.Errorf(`%w: card %s has expired`, eventbus.ErrInvalidEvent, number)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, ctx := newTestBroker(t)
			cfg := tb.config("payment")
			cfg.MaxAttempts = 2
			logs := &testkit.LogBuffer{}
			cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			bus := tb.bus(cfg)
			bustest.Subscribe(t, ctx, bus, "OrderPaid", func(context.Context, eventbus.Message) error { return tc.err })
			m := bustest.NewMessage("OrderPaid")
			if err := bus.Publish(ctx, m); err != nil {
				t.Fatal(err)
			}
			parked := waitParked(t, ctx, cfg, 1)
			if len(parked) != 1 || parked[0].ID != m.ID {
				t.Fatalf("parked %+v, want the message", parked)
			}
			if !strings.Contains(parked[0].LastError, "1881") {
				t.Errorf("the recorded reason %q lost its text, want it kept with the number masked", parked[0].LastError)
			}
			for where, text := range map[string]string{
				"the recorded reason": parked[0].LastError,
				"the parked headers":  fmt.Sprint(parked[0].Headers),
				"the bus's log lines": logs.String(),
			} {
				for _, secret := range []string{number, spaced} {
					if strings.Contains(text, secret) {
						t.Errorf("%s: the card number %q is there", where, secret)
					}
				}
			}
		})
	}
}
