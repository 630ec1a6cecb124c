package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

const priceChanged = "ProductPriceChangedIntegrationEvent"

// priceChangedBody is the wire format of docs/events.md, read strictly: the
// numbers are kept as they were written.
type priceChangedBody struct {
	ID           string      `json:"Id"`
	CreationDate string      `json:"CreationDate"`
	ProductID    int64       `json:"ProductId"`
	NewPrice     json.Number `json:"NewPrice"`
	OldPrice     json.Number `json:"OldPrice"`
	PriceVersion int64       `json:"PriceVersion"`
}

func decodePriceChanged(t *testing.T, d amqp.Delivery) priceChangedBody {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(d.Body)))
	dec.UseNumber()
	var e priceChangedBody
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("decode %s: %v", d.Body, err)
	}
	return e
}

// putPrice updates item id with a new price (and description), keeping the
// rest: it reads the item and sends the PUT with the ETag it read, and
// returns the response status.
func (c *catalogUnderTest) putPrice(id int64, price, description, requestID string) int {
	c.t.Helper()
	body, etag, err := c.priceBody(id, price, description)
	if err != nil {
		c.t.Fatal(err)
	}
	status, err := c.put(id, body, etag, requestID)
	if err != nil {
		c.t.Fatal(err)
	}
	return status
}

// priceBody is the PUT body of item id as it is now, with another price
// and description, and the item's ETag. It may be called from any
// goroutine.
func (c *catalogUnderTest) priceBody(id int64, price, description string) (body, etag string, err error) {
	res, err := http.Get(fmt.Sprintf("%s/api/catalog/items/%d", c.URL, id))
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	var it item
	if err := json.NewDecoder(res.Body).Decode(&it); err != nil || res.StatusCode != 200 {
		return "", "", fmt.Errorf("GET item %d: status %d, %v", id, res.StatusCode, err)
	}
	return fmt.Sprintf(`{"name":%q,"description":%q,"price":%s,"pictureFileName":%q,"catalogTypeId":%d,"catalogBrandId":%d,
		"availableStock":%d,"restockThreshold":%d,"maxStockThreshold":%d,"onReorder":%t}`,
		it.Name, description, price, it.PictureFileName, it.CatalogTypeID, it.CatalogBrandID,
		it.AvailableStock, it.RestockThreshold, it.MaxStockThreshold, it.OnReorder), res.Header.Get("ETag"), nil
}

// put sends PUT /api/catalog/items/{id} with If-Match: etag; it may be
// called from any goroutine.
func (c *catalogUnderTest) put(id int64, body, etag, requestID string) (int, error) {
	req, err := http.NewRequest("PUT", fmt.Sprintf("%s/api/catalog/items/%d", c.URL, id), strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Request-Id", requestID)
	req.Header.Set("If-Match", etag)
	req.Header.Set("Authorization", "Bearer "+c.Client.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func TestPriceChangePublishesOneEventInTheItemsTransaction(t *testing.T) {
	c := startCatalog(t)
	events := c.observe(priceChanged)
	var seeded item
	c.json("GET", "/api/catalog/items/1", "", 200, &seeded) // Alder Daypack 22 at 64.00

	if s := c.putPrice(1, "59.5", "on sale", "req-price-1"); s != 200 {
		t.Fatalf("PUT: %d", s)
	}
	d := next(t, events)
	e := decodePriceChanged(t, d)
	if e.ProductID != 1 || e.NewPrice != "59.50" || e.OldPrice != "64.00" || e.PriceVersion != 1 {
		t.Fatalf("event %s, want ProductId 1, NewPrice 59.50, OldPrice 64.00, PriceVersion 1", compactJSON(d.Body))
	}
	if d.ContentType != "application/json" || d.DeliveryMode != amqp.Persistent || d.Type != priceChanged ||
		d.RoutingKey != priceChanged || d.AppId != "catalog" || d.MessageId != e.ID || d.Timestamp.IsZero() ||
		e.CreationDate == "" || d.Headers["x-correlation-id"] != "req-price-1" {
		t.Fatalf("envelope: content type %q, mode %d, type %q, key %q, app %q, message id %q (body Id %q), headers %v",
			d.ContentType, d.DeliveryMode, d.Type, d.RoutingKey, d.AppId, d.MessageId, e.ID, d.Headers)
	}

	// The same price again (the description changes): no event. The next
	// event on the queue is the next real change, which the single relay
	// publishes after anything committed before it.
	if s := c.putPrice(1, "59.50", "still on sale", "req-price-2"); s != 200 {
		t.Fatalf("PUT: %d", s)
	}
	if s := c.putPrice(1, "61", "back up", "req-price-3"); s != 200 {
		t.Fatalf("PUT: %d", s)
	}
	d = next(t, events)
	e = decodePriceChanged(t, d)
	if e.NewPrice != "61.00" || e.OldPrice != "59.50" || e.PriceVersion != 2 || d.Headers["x-correlation-id"] != "req-price-3" {
		t.Fatalf("second event %s (correlation %v), want 59.50 → 61.00, version 2", compactJSON(d.Body), d.Headers["x-correlation-id"])
	}

	// A transaction that fails at commit (a deferred trigger on the outbox
	// table makes it) keeps neither the new price nor the event.
	ctx := context.Background()
	if _, err := c.DB.Exec(ctx, `
		CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'injected commit failure'; END $$;
		CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON integration_event_log
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit();`); err != nil {
		t.Fatal(err)
	}
	if s := c.putPrice(1, "70", "never", "req-price-4"); s != 500 {
		t.Fatalf("PUT with a failing commit: %d, want 500", s)
	}
	var after item
	c.json("GET", "/api/catalog/items/1", "", 200, &after)
	if after.Price != 61 || after.Description != "back up" {
		t.Fatalf("after the rollback: %+v, want price 61 and description \"back up\"", after)
	}
	if _, err := c.DB.Exec(ctx, `DROP TRIGGER fail_commit ON integration_event_log; DROP FUNCTION fail_commit();`); err != nil {
		t.Fatal(err)
	}
	if s := c.putPrice(1, "62", "after", "req-price-5"); s != 200 {
		t.Fatalf("PUT: %d", s)
	}
	d = next(t, events)
	e = decodePriceChanged(t, d)
	if e.NewPrice != "62.00" || e.OldPrice != "61.00" || e.PriceVersion != 3 {
		t.Fatalf("event after the rollback %s, want 61.00 → 62.00, version 3 (nothing from the rolled-back change)", compactJSON(d.Body))
	}
	var logged int
	if err := c.DB.QueryRow(ctx, `SELECT count(*) FROM integration_event_log WHERE event_name = $1`, priceChanged).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if logged != 3 {
		t.Fatalf("%d price events in the outbox, want 3", logged)
	}
	select {
	case d := <-events:
		t.Fatalf("unexpected extra event %s", compactJSON(d.Body))
	default:
	}
}

// TestConcurrentPriceChangesFormOneChain changes one item's price from many
// writers at once, each retrying on 412 as a client does: every change
// yields one event, their PriceVersions are 1..n, and in version order each
// OldPrice is the previous NewPrice, so a consumer that applies the highest
// version ends at the price committed last.
func TestConcurrentPriceChangesFormOneChain(t *testing.T) {
	c := startCatalog(t)
	events := c.observe(priceChanged)
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		// Each writer does what a client does on 412: reads the item
		// again and retries. Every 412 means another writer's change
		// committed, so n tries are always enough.
		wg.Go(func() {
			for try := 0; try < n; try++ {
				body, etag, err := c.priceBody(3, fmt.Sprintf("%d.25", 100+i), "busy")
				if err != nil {
					t.Error(err)
					return
				}
				s, err := c.put(3, body, etag, fmt.Sprintf("req-%d", i))
				if err == nil && s == 412 {
					continue
				}
				if err != nil || s != 200 {
					t.Errorf("PUT %d: %d %v", i, s, err)
				}
				return
			}
			t.Errorf("PUT %d: still 412 after %d tries", i, n)
		})
	}
	wg.Wait()
	byVersion := map[int64]priceChangedBody{}
	for range n {
		e := decodePriceChanged(t, next(t, events))
		if e.ProductID != 3 {
			t.Fatalf("event for product %d", e.ProductID)
		}
		byVersion[e.PriceVersion] = e
	}
	prev := json.Number("89.99") // the seeded price of item 3
	for v := int64(1); v <= n; v++ {
		e, ok := byVersion[v]
		if !ok {
			t.Fatalf("no event with PriceVersion %d among %v", v, byVersion)
		}
		if e.OldPrice != prev {
			t.Fatalf("version %d: OldPrice %s, want the NewPrice of version %d, %s", v, e.OldPrice, v-1, prev)
		}
		prev = e.NewPrice
	}
	var final item
	c.json("GET", "/api/catalog/items/3", "", 200, &final)
	if fmt.Sprintf("%.2f", final.Price) != string(prev) {
		t.Fatalf("item price %.2f, last event's NewPrice %s", final.Price, prev)
	}
}
