package service_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/webapp/internal/service"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin/signintest"
	"github.com/google/uuid"
)

// startWebapp starts the real webapp in-process (testkit.StartService: its
// own port, exchange and queue) against a test OpenID provider and an API
// stub that answers an empty list of orders, and returns it with a
// browser signed in as sub.
func startWebapp(t *testing.T, sub string, env ...string) (*testkit.ServiceUnderTest, *http.Client) {
	t.Helper()
	provider := signintest.New(t, "webapp", "webapp-secret")
	provider.SignInAs(signintest.User{Subject: sub, Name: "Alice Smith"})
	apis := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("[]"))
	}))
	t.Cleanup(apis.Close)
	addr := testkit.FreeAddr(t)
	settings := map[string]string{
		"HTTP_ADDR": addr, "WEBAPP_PUBLIC_URL": "http://" + addr, "IDENTITY_URL": provider.URL,
		"CATALOG_URL": apis.URL, "BASKET_URL": apis.URL, "ORDERING_URL": apis.URL, "SESSION_KEY": "test-session-key",
	}
	for i := 0; i+1 < len(env); i += 2 {
		settings[env[i]] = env[i+1]
	}
	s := testkit.StartService(t, "webapp", service.New, settings, nil)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	res, err := browser.Get(s.URL + "/signin?returnTo=/orders")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Path != "/orders" {
		t.Fatalf("the sign-in ended at %s with %d", res.Request.URL, res.StatusCode)
	}
	return s, browser
}

// openEvents opens GET /events and returns its data lines.
func openEvents(t *testing.T, browser *http.Client, baseURL string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/events", nil)
	res, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("GET /events: %d", res.StatusCode)
	}
	// Closed before the service stops (cleanups run last-in first-out).
	t.Cleanup(func() { cancel(); res.Body.Close() })
	data := make(chan string, 16)
	go func() {
		defer close(data)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				data <- d
			}
		}
	}()
	return data
}

// publish puts an OrderStatusChanged event on the test's exchange as
// ordering's bus would.
func publish(t *testing.T, exchange, name string, body map[string]any) {
	t.Helper()
	id := uuid.NewString()
	body["Id"], body["CreationDate"] = id, time.Now().UTC().Format(time.RFC3339)
	b, _ := json.Marshal(body)
	testkit.PublishEvent(t, exchange, testkit.EventMessage(name, id, "ordering", b))
}

// An order status event on the bus reaches the open stream of its buyer,
// through the webapp's own queue; another buyer's does not.
func TestAnEventOnTheBusReachesTheBuyersStream(t *testing.T) {
	s, browser := startWebapp(t, "buyer-1")
	events := openEvents(t, browser, s.URL)

	const paid = "OrderStatusChangedToPaidIntegrationEvent"
	publish(t, s.Exchange, paid, map[string]any{"OrderId": 41, "OrderStatus": "Paid", "BuyerName": "Bob", "BuyerIdentityGuid": "buyer-2",
		"OrderStockItems": []map[string]any{{"ProductId": 1, "Units": 1}}})
	publish(t, s.Exchange, paid, map[string]any{"OrderId": 42, "OrderStatus": "Paid", "BuyerName": "Alice Smith", "BuyerIdentityGuid": "buyer-1",
		"OrderStockItems": []map[string]any{{"ProductId": 1, "Units": 1}}})
	select {
	case got := <-events:
		if got != `{"orderNumber":42,"status":"Paid"}` {
			t.Fatalf("the stream got %s", got)
		}
	case <-time.After(testkit.Patience):
		t.Fatal("no event on the stream")
	}
	testkit.WaitQueueDrained(t, s.Queue)
}

// An event no ordering sends is parked at once, with the reason, and
// shows nothing.
func TestAnInvalidEventIsParked(t *testing.T) {
	s, browser := startWebapp(t, "buyer-1")
	events := openEvents(t, browser, s.URL)
	publish(t, s.Exchange, "OrderStatusChangedToShippedIntegrationEvent", map[string]any{"OrderId": 0, "BuyerIdentityGuid": "buyer-1"})
	parked := testkit.WaitParked(t, s.Queue, 1)
	if !strings.Contains(parked[0].LastError, "order id 0 is not positive") || parked[0].Attempts != 1 {
		t.Fatalf("parked %+v", parked[0])
	}
	select {
	case got := <-events:
		t.Fatalf("an invalid event reached the stream: %s", got)
	default:
	}
}

// The open streams end when the webapp stops: its graceful stop does not
// wait for them (a stop that waited would take the whole, long, shutdown
// timeout the test sets).
func TestTheStreamsEndWhenTheWebappStops(t *testing.T) {
	s, browser := startWebapp(t, "buyer-1", "SHUTDOWN_TIMEOUT", "10m")
	events := openEvents(t, browser, s.URL)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, open := <-events; open {
		t.Fatal("an event after the stop")
	}
}

// A stream ends when its session signs out: the page stops hearing the
// buyer's orders at once, not when the browser closes it.
func TestAStreamEndsWhenItsSessionSignsOut(t *testing.T) {
	s, browser := startWebapp(t, "buyer-1")
	events := openEvents(t, browser, s.URL)
	res, err := browser.PostForm(s.URL+"/signout", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	select {
	case data, open := <-events:
		if open {
			t.Fatalf("the stream got %s after the sign-out", data)
		}
	case <-time.After(testkit.Patience):
		t.Fatal("the stream is still open after the sign-out")
	}
}

// A session has at most WEBAPP_MAX_STREAMS streams open; one more is
// refused (429), and once one closes another opens.
func TestASessionHasAtMostItsStreamsOpen(t *testing.T) {
	s, browser := startWebapp(t, "buyer-1", "WEBAPP_MAX_STREAMS", "2")
	openEvents(t, browser, s.URL)
	openEvents(t, browser, s.URL)
	res, err := browser.Get(s.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a third stream: %d, want 429", res.StatusCode)
	}
}

// Anonymous sign-ins with a long return path (0.5 MB each: the webapp
// once kept every one of them in memory for an hour) leave the webapp's
// memory within a bound: the path is cut to the home page, and the
// anonymous sessions are capped.
func TestAnonymousSignInsLeaveTheMemoryWithinABound(t *testing.T) {
	s, _ := startWebapp(t, "buyer-1", "SESSION_MAX_ANONYMOUS", "100")
	long := "/" + strings.Repeat("A", 512<<10)
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	before := heapInUse()
	for range 200 {
		res, err := noRedirects.Get(s.URL + "/signin?returnTo=" + long)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound {
			t.Fatalf("GET /signin: %d", res.StatusCode)
		}
	}
	const bound = 16 << 20
	if grown := int64(heapInUse()) - int64(before); grown > bound {
		t.Fatalf("200 anonymous sign-ins with a 0.5 MB return path grew the heap by %d MB, want at most %d MB", grown>>20, bound>>20)
	}
}

// heapInUse is the heap in use after a garbage collection: what the
// process keeps.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
