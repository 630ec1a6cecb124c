package rabbitmq_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// A reader of the logs sees when a failed delivery comes again as a
// duration ("1.5s"), not as a count of nanoseconds.
func TestTheRetryLogSaysWhenAsADuration(t *testing.T) {
	tb, ctx := newTestBroker(t)
	cfg := tb.config("basket")
	logs := &testkit.LogBuffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	bus := tb.bus(cfg)
	var calls atomic.Int32
	handled := make(chan struct{})
	if _, err := bus.Subscribe(ctx, "OrderPaid", func(context.Context, eventbus.Message) error {
		if calls.Add(1) == 1 {
			return errors.New("not yet")
		}
		close(handled)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(ctx, message("OrderPaid")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-handled:
	case <-time.After(30 * time.Second):
		t.Fatal("the retried delivery was not handled")
	}
	var retries int
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line struct {
			Msg string `json:"msg"`
			In  any    `json:"in"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || !strings.Contains(line.Msg, "retrying") {
			continue
		}
		retries++
		s, ok := line.In.(string)
		if !ok {
			t.Fatalf("the retry's delay is logged as %v (%T), want a duration such as \"1.5s\"", line.In, line.In)
		}
		if _, err := time.ParseDuration(s); err != nil {
			t.Fatalf("the retry's delay %q is no duration: %v", s, err)
		}
	}
	if retries != 1 {
		t.Fatalf("%d retry lines logged, want 1:\n%s", retries, logs.String())
	}
}
