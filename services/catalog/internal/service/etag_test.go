package service_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
)

// asBody is the PUT body of it.
func asBody(t testing.TB, it item) string {
	t.Helper()
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// getItem reads item path and returns it with its ETag, which must be a
// strong entity-tag.
func (c *catalogUnderTest) getItem(path string) (item, string) {
	c.t.Helper()
	var it item
	etag := c.json("GET", path, "", 200, &it).Get("ETag")
	if len(etag) < 2 || !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) {
		c.t.Fatalf("GET %s: ETag %q, want a strong entity-tag", path, etag)
	}
	return it, etag
}

// TestUpdateWithoutIfMatchIsRefused: a PUT that does not say which version
// it edits gets 428 and changes nothing; so does one with If-Match: *, which
// would let a stale edit through.
func TestUpdateWithoutIfMatchIsRefused(t *testing.T) {
	c := startCatalog(t)
	const path = "/api/catalog/items/2"
	before, etag := c.getItem(path)
	edit := before
	edit.Price, edit.AvailableStock = 1.5, 1
	c.problem("PUT", path, asBody(t, edit), 428)
	c.problem("PUT", path, asBody(t, edit), 428, "If-Match", "*")
	after, etagAfter := c.getItem(path)
	if after != before || etagAfter != etag {
		t.Fatalf("after refused PUTs: %+v %s, want %+v %s", after, etagAfter, before, etag)
	}
}

// TestUpdateWithAStaleETagIsRefused: of two edits of the same version, the
// second gets 412 and changes nothing; with the ETag read again it gets 200
// and a new ETag, the one a GET answers from then on.
func TestUpdateWithAStaleETagIsRefused(t *testing.T) {
	c := startCatalog(t)
	const path = "/api/catalog/items/2"
	read, etag := c.getItem(path)

	first := read
	first.Description = "first"
	var updated item
	etag1 := c.json("PUT", path, asBody(t, first), 200, &updated, "If-Match", etag).Get("ETag")
	if etag1 == "" || etag1 == etag || updated.Description != "first" {
		t.Fatalf("first PUT: %+v, ETag %q (was %q): want the edit and a new ETag", updated, etag1, etag)
	}

	second := read
	second.Price = 1.5
	c.problem("PUT", path, asBody(t, second), 412, "If-Match", etag)
	for _, bad := range []string{`W/` + etag1, `"not-ours"`, strings.Trim(etag1, `"`)} {
		c.problem("PUT", path, asBody(t, second), 412, "If-Match", bad)
	}
	got, etagGot := c.getItem(path)
	if got != updated || etagGot != etag1 {
		t.Fatalf("after the stale PUTs: %+v %s, want %+v %s", got, etagGot, updated, etag1)
	}

	second = got
	second.Price = 1.5
	etag2 := c.json("PUT", path, asBody(t, second), 200, &updated, "If-Match", etag1).Get("ETag")
	if etag2 == "" || etag2 == etag1 || updated.Price != 1.5 || updated.Description != "first" {
		t.Fatalf("PUT with the current ETag: %+v, ETag %q (was %q)", updated, etag2, etag1)
	}
	if _, etagGot := c.getItem(path); etagGot != etag2 {
		t.Fatalf("GET after the PUT: ETag %s, want the PUT's %s", etagGot, etag2)
	}
}

// TestStaleEditKeepsReservedStock is the row: an editor reads an
// item, an order reserves some of its stock, and the editor sends back what
// they read with only the price changed. The PUT gets 412, and the stock the
// order reserved is not sold again.
func TestStaleEditKeepsReservedStock(t *testing.T) {
	c := startCatalog(t)
	answers := c.observe(stockConfirmed, stockRejected)
	const path = "/api/catalog/items/4"
	read, etag := c.getItem(path)

	reserve := uuid.NewString()
	c.publish(awaitingValidation, reserve, orderEvent(reserve, 51, "AwaitingValidation", stockLine{4, 2, c.price(4)}))
	if d := next(t, answers); d.Type != stockConfirmed {
		t.Fatalf("answer %s %s, want %s", d.Type, compactJSON(d.Body), stockConfirmed)
	}
	testkit.WaitQueueDrained(t, c.Queue)

	stale := read
	stale.Price = 123.45
	c.problem("PUT", path, asBody(t, stale), 412, "If-Match", etag)
	got, current := c.getItem(path)
	if got.AvailableStock != read.AvailableStock-2 || got.Price != read.Price {
		t.Fatalf("after the stale PUT: stock %d, price %v; want %d (2 reserved), %v",
			got.AvailableStock, got.Price, read.AvailableStock-2, read.Price)
	}
	if current == etag {
		t.Fatalf("the reservation left the ETag at %s", etag)
	}

	edit := got
	edit.Price = 123.45
	var updated item
	newETag := c.json("PUT", path, asBody(t, edit), 200, &updated, "If-Match", current).Get("ETag")
	if updated.AvailableStock != read.AvailableStock-2 || updated.Price != 123.45 || newETag == "" || newETag == current {
		t.Fatalf("PUT with the current ETag: %+v, ETag %q (was %q)", updated, newETag, current)
	}
}
