package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/tests/e2e/shop"
)

// The demo binary (make demo, docker compose run demo) against a shop whose
// ordering keeps the default grace period of one minute, as deploy/k8s
// does: the demo learns the period from ordering and waits it out, with no
// setting of its own. Meanwhile the events binary (make events) tails the
// bus and sees the story's events in the order they happened. The test
// waits the whole minute, so it runs in parallel with the other parallel
// tests.
func TestTheDemoBinaryWaitsOutAOneMinuteGracePeriod(t *testing.T) {
	t.Parallel()
	const grace = time.Minute
	bin := t.TempDir()
	for _, tool := range []string{"demo", "events"} {
		build := exec.Command("go", "build", "-o", filepath.Join(bin, tool), "./tests/e2e/cmd/"+tool)
		build.Dir = "../.."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", tool, err, out)
		}
	}
	demo := filepath.Join(bin, "demo")
	s := StartShopWithIdentity(t, "GRACE_PERIOD="+grace.String())
	s.WaitReady(t)
	tail := tailEvents(t, filepath.Join(bin, "events"), s.users.URL(t, "events"), s.Exchange)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, demo)
	cmd.Env = append(os.Environ(),
		"IDENTITY_URL="+s.Identity,
		"CATALOG_URL="+s.Client.CatalogURL,
		"BASKET_URL="+s.Client.BasketURL,
		"ORDERING_URL="+s.Client.OrderingURL,
		"PAYMENT_URL="+s.Client.PaymentURL,
		"RABBITMQ_URL="+s.users.URL(t, "events"), // make demo's watcher is the events user
		"EVENTBUS_EXCHANGE="+s.Exchange,
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	t.Logf("the demo took %s:\n%s", took.Round(time.Second), out.String())
	if err != nil {
		t.Fatalf("the demo failed: %v", err)
	}
	for _, want := range []string{"ordering's grace period is 1m0s", "OrderStatusChangedToPaidIntegrationEvent", "The story is complete."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo's output lacks %q", want)
		}
	}
	if took < grace {
		t.Errorf("the demo finished in %s, within the grace period of %s: the order cannot have waited it out", took, grace)
	}
	if strings.Contains(out.String(), shop.TestCard.CardNumber) {
		t.Error("the demo printed the card number")
	}

	// Causes before effects: each of these events is published after
	// another service handled the one before, so it reaches the tail's
	// queue after it.
	lines := tail.stop(t, "OrderStatusChangedToShippedIntegrationEvent")
	story := []string{"ProductPriceChangedIntegrationEvent", "UserCheckoutAcceptedIntegrationEvent",
		"OrderStatusChangedToSubmittedIntegrationEvent", "OrderStatusChangedToAwaitingValidationIntegrationEvent",
		"OrderStockConfirmedIntegrationEvent", "OrderStatusChangedToStockConfirmedIntegrationEvent",
		"OrderPaymentSucceededIntegrationEvent", "OrderStatusChangedToPaidIntegrationEvent", "OrderStatusChangedToShippedIntegrationEvent"}
	next := 0
	for _, l := range lines {
		if next < len(story) && strings.Contains(l, " "+story[next]+" ") {
			next++
		}
		if strings.Contains(l, shop.TestCard.CardNumber) || strings.Contains(l, `"`+shop.TestCard.CardSecurityNumber+`"`) {
			t.Errorf("the tail shows card data: %s", l)
		}
		if !strings.Contains(l, " id=") || !strings.Contains(l, " corr=") || strings.Contains(l, " from=- ") {
			t.Errorf("the tail's line lacks the id, correlation id or publisher: %s", l)
		}
	}
	if next < len(story) {
		t.Errorf("the tail saw the story up to %v, then not %s in order:\n%s", story[:next], story[next], strings.Join(lines, "\n"))
	}

	// Each API service serves its openapi.yaml, and the storefront's API
	// pages show it.
	for _, service := range services {
		want, err := os.ReadFile("../../services/" + service + "/openapi.yaml")
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Get(s.Webapp + "/apis/" + service + "/openapi.yaml")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
			t.Errorf("the storefront's /apis/%s/openapi.yaml: %s, %d bytes; want the %d bytes of services/%s/openapi.yaml", service, res.Status, len(got), len(want), service)
		}
	}
}

// eventTail is the events binary running against a test's exchange.
type eventTail struct {
	cmd      *exec.Cmd
	out, err testkit.LogBuffer
}

// tailEvents starts the events binary on the broker at url and exchange,
// and waits until it listens.
func tailEvents(t *testing.T, bin, url, exchange string) *eventTail {
	t.Helper()
	tail := &eventTail{cmd: exec.Command(bin, "-url", url, "-exchange", exchange, "-body", "400")}
	tail.cmd.Stdout, tail.cmd.Stderr = &tail.out, &tail.err
	if err := tail.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tail.cmd.Process.Kill() })
	testkit.WaitFor(t, "the event tail to listen", func() bool {
		return strings.Contains(tail.err.String(), "tailing every event")
	})
	return tail
}

// stop waits until the tail printed last, interrupts it as Ctrl-C does,
// and returns its lines.
func (tail *eventTail) stop(t *testing.T, last string) []string {
	t.Helper()
	testkit.WaitFor(t, "the tail to show "+last, func() bool { return strings.Contains(tail.out.String(), last) })
	tail.cmd.Process.Signal(os.Interrupt)
	if err := tail.cmd.Wait(); err != nil {
		t.Errorf("the tail did not end cleanly on Ctrl-C: %v; %s", err, tail.err.String())
	}
	return strings.Split(strings.TrimSpace(tail.out.String()), "\n")
}
