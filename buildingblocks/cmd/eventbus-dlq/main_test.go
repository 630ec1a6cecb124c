package main

import (
	"bytes"
	"context"
	"errors"
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
	exchange, prefix := testkit.Broker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := rabbitmq.Config{URL: testkit.RabbitURL(), Exchange: exchange, Queue: prefix + "_basket", MaxAttempts: 1}
	bus, err := rabbitmq.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close(context.Background())
	handled := make(chan uuid.UUID, 1)
	var failing atomic.Bool
	failing.Store(true)
	if _, err := bus.Subscribe(ctx, "OrderStartedIntegrationEvent", func(_ context.Context, m eventbus.Message) error {
		if failing.Load() {
			return errors.New("boom")
		}
		handled <- m.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	if err := bus.Publish(ctx, eventbus.Message{ID: id, Name: "OrderStartedIntegrationEvent", Body: []byte(`{"UserId":"bob"}`)}); err != nil {
		t.Fatal(err)
	}

	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		args = append([]string{"-url", cfg.URL, "-exchange", exchange, "-queue", cfg.Queue}, args...)
		if err := run(ctx, args, &out, &errOut); err != nil {
			t.Fatalf("eventbus-dlq %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String()
	}
	deadline := time.Now().Add(time.Minute)
	var listing string
	for listing = cli("list"); !strings.Contains(listing, "1 parked"); listing = cli("list") {
		if time.Now().After(deadline) {
			t.Fatalf("the message never showed in the listing:\n%s", listing)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{id.String(), "OrderStartedIntegrationEvent", "rejected", "boom", `{"UserId":"bob"}`} {
		if !strings.Contains(listing, want) {
			t.Errorf("listing lacks %q:\n%s", want, listing)
		}
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

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"list"}, &out, &errOut); err == nil {
		t.Error("list without a queue succeeded")
	}
	if err := run(context.Background(), []string{"-queue", "basket", "purge"}, &out, &errOut); err == nil {
		t.Error("an unknown command succeeded")
	}
}
