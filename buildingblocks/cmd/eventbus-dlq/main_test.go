package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

func TestListAndReplay(t *testing.T) {
	ctx, cfg := serviceQueue(t, "basket")
	cfg.MaxAttempts = 1
	handled := make(chan uuid.UUID, 1)
	var failing atomic.Bool
	failing.Store(true)
	id := publishTo(t, ctx, cfg, "OrderStartedIntegrationEvent", `{"UserId":"bob"}`, func(_ context.Context, m eventbus.Message) error {
		if failing.Load() {
			return errors.New("boom")
		}
		handled <- m.ID
		return nil
	})

	cli := commandOn(t, ctx, cfg)
	var listing string
	testkit.WaitFor(t, "the message in the listing", func() bool {
		listing = cli("list")
		return strings.Contains(listing, "1 parked")
	})
	for _, want := range []string{id.String(), "OrderStartedIntegrationEvent", "failed: boom"} {
		if !strings.Contains(listing, want) {
			t.Errorf("listing lacks %q:\n%s", want, listing)
		}
	}
	// The listing has no bodies; -bodies and show have them, and the
	// broker's reason.
	if strings.Contains(listing, `{"UserId":"bob"}`) {
		t.Errorf("listing shows the body:\n%s", listing)
	}
	for _, full := range [][]string{{"list", "-bodies"}, {"show", id.String()}} {
		out := cli(full...)
		for _, want := range []string{id.String(), "OrderStartedIntegrationEvent", "rejected", "boom", `{"UserId":"bob"}`} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", strings.Join(full, " "), want, out)
			}
		}
	}

	// A replay of other reasons leaves it parked.
	if out := cli("replay", "-reason", "crash-loop,forged"); !strings.HasPrefix(out, "replayed 0 ") {
		t.Errorf("replay -reason crash-loop,forged printed %q", out)
	}
	failing.Store(false)
	if out := cli("replay"); !strings.HasPrefix(out, "replayed 1 ") {
		t.Errorf("replay printed %q", out)
	}
	select {
	case got := <-handled:
		if got != id {
			t.Errorf("handled %s after replay, want %s", got, id)
		}
	case <-ctx.Done():
		t.Fatal("replayed message not handled")
	}
}

// A parked charge request carries a payment token, which charges the card
// it seals: neither the listing (whose reason quotes it) nor the bodies
// show it.
func TestPaymentTokensAreMaskedInTheListingAndTheBodies(t *testing.T) {
	ctx, cfg := serviceQueue(t, "payment")
	const token = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..q1w2e3r4t5y6u7i8.Y2lwaGVydGV4dC1vZi10aGUtY2FyZA.dGFnLXRhZy10YWctdGFn"
	body := `{"OrderId":7,"PaymentToken":"` + token + `","Total":19.50}`
	id := publishTo(t, ctx, cfg, "OrderStatusChangedToStockConfirmedIntegrationEvent", body, func(context.Context, eventbus.Message) error {
		return fmt.Errorf("%w: cannot charge %s", eventbus.ErrInvalidEvent, token)
	})
	testkit.WaitParked(t, cfg.Queue, 1)
	cli := commandOn(t, ctx, cfg)
	for _, args := range [][]string{{"list"}, {"list", "-bodies"}, {"show", id.String()}} {
		out := cli(args...)
		if strings.Contains(out, token) || strings.Contains(out, "q1w2e3r4t5y6u7i8") {
			t.Errorf("%s shows the payment token:\n%s", strings.Join(args, " "), out)
		}
		if !strings.Contains(out, id.String()) {
			t.Errorf("%s does not show the message:\n%s", strings.Join(args, " "), out)
		}
	}
	if out := cli("show", id.String()); !strings.Contains(out, `"PaymentToken":"[masked]"`) {
		t.Errorf("show lacks the masked token:\n%s", out)
	}
}

// A parked message that carries a card number: the listing shows what it
// is and why it was parked, and not the number; its body is shown on
// request, with the card data masked.
func TestCardDataIsMaskedInTheListingAndTheBodies(t *testing.T) {
	ctx, cfg := serviceQueue(t, "ordering")
	const number, code = "4012888888881881", "737"
	body := `{"UserId":"bob","CardNumber":"` + number + `","CardSecurityNumber":"` + code + `","Note":"4012 8888-8888 1881"}`
	id := publishTo(t, ctx, cfg, "UserCheckoutAcceptedIntegrationEvent", body, func(context.Context, eventbus.Message) error {
		return fmt.Errorf("%w: card %s\nhas expired", eventbus.ErrInvalidEvent, number)
	})
	parked := testkit.WaitParked(t, cfg.Queue, 1)
	cli := commandOn(t, ctx, cfg)
	noCardData := func(what, out string) {
		t.Helper()
		for _, secret := range []string{number, "4012 8888-8888", code} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows %q:\n%s", what, secret, out)
			}
		}
	}

	listing := cli("list")
	lines := strings.Split(strings.TrimSpace(listing), "\n")
	if len(lines) != 3 {
		t.Fatalf("listing has %d lines, want a header, one message and a count:\n%s", len(lines), listing)
	}
	for _, want := range []string{id.String(), "UserCheckoutAcceptedIntegrationEvent",
		parked[0].ParkedAt.Format(time.RFC3339), " 1 ", `invalid: `, `************1881\nhas expired`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("listing line lacks %q:\n%s", want, listing)
		}
	}
	if strings.Contains(listing, "UserId") {
		t.Errorf("listing shows the body:\n%s", listing)
	}
	noCardData("list", listing)

	for _, full := range [][]string{{"list", "-bodies"}, {"show", id.String()}} {
		out := cli(full...)
		want := `{"UserId":"bob","CardNumber":"[masked]","CardSecurityNumber":"[masked]","Note":"**** ****-**** 1881"}`
		if !strings.Contains(out, want) {
			t.Errorf("%s lacks the masked body %s:\n%s", strings.Join(full, " "), want, out)
		}
		noCardData(strings.Join(full, " "), out)
	}
}

// The id is shown whole, even one whose digits look like a card number:
// masked, the operator could not show or find the message by its id.
func TestShowKeepsAnIDWhoseDigitsLookLikeACardNumber(t *testing.T) {
	id := uuid.MustParse("81e39f21-2fa9-4603-a395-755795902016")
	var out bytes.Buffer
	writeDeadLetter(&out, rabbitmq.DeadLetter{Message: eventbus.Message{ID: id, Name: "OrderStartedIntegrationEvent"}})
	if !strings.Contains(out.String(), id.String()) {
		t.Errorf("show lacks the id %s:\n%s", id, out.String())
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"list"}, &out, &errOut); err == nil {
		t.Error("list without a queue succeeded")
	}
	if err := run(context.Background(), []string{"-queue", "basket", "purge"}, &out, &errOut); err == nil {
		t.Error("an unknown command succeeded")
	}
	for _, args := range [][]string{{"show"}, {"list", "extra"}, {"list", "-nobodies"}, {"replay", "extra"},
		{"replay", "-reason", "bored"}, {"replay", "-id", "not-a-uuid"}} {
		if err := run(context.Background(), append([]string{"-queue", "basket"}, args...), &out, &errOut); err == nil {
			t.Errorf("%s succeeded", strings.Join(args, " "))
		}
	}
}

// serviceQueue returns a context for the test and the configuration of the
// queue of the service svc on the test's own exchange.
func serviceQueue(t *testing.T, svc string) (context.Context, rabbitmq.Config) {
	exchange, prefix := testkit.Broker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx, rabbitmq.Config{URL: testkit.RabbitURL(), Exchange: exchange, Queue: prefix + "_" + svc}
}

// publishTo starts a bus of cfg with handle subscribed to the event name,
// publishes one event of that name with body, and returns its id.
func publishTo(t *testing.T, ctx context.Context, cfg rabbitmq.Config, name, body string, handle eventbus.Handler) uuid.UUID {
	t.Helper()
	bus := testkit.StartBus(t, cfg)
	if _, err := bus.Subscribe(ctx, eventbus.Route{EventName: name, Publisher: "tests", Handler: handle}); err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	if err := bus.Publish(ctx, eventbus.Message{ID: id, Name: name, Body: []byte(body)}); err != nil {
		t.Fatal(err)
	}
	return id
}

// commandOn returns the command run against cfg's queue and exchange: it
// returns what the command printed; a failure fails the test.
func commandOn(t *testing.T, ctx context.Context, cfg rabbitmq.Config) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		args = append([]string{"-url", cfg.URL, "-exchange", cfg.Exchange, "-queue", cfg.Queue}, args...)
		if err := run(ctx, args, &out, &errOut); err != nil {
			t.Fatalf("eventbus-dlq %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String()
	}
}
