package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
	"github.com/eshop-go/eshop-go/services/ordering/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/eshop-go/eshop-go/services/ordering/internal/postgres"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// fixture is the API on the real store and a fresh database, served on a
// test server, trusting a test issuer.
type fixture struct {
	url   string
	store *postgres.Store
	pool  *pgxpool.Pool
	iss   *testkit.Issuer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := testkit.NewPool(t, postgres.Migrations)
	store := postgres.NewStore(pool, events.StatusEvent)
	iss := testkit.NewIssuer(t)
	r := httpkit.NewRouter(slog.New(slog.DiscardHandler))
	httpapi.Mount(r, store, httpapi.Settings{GracePeriod: 1500 * time.Millisecond}, auth.NewVerifier(auth.Config{Issuer: iss.URL, Audience: testkit.Audience}).Authenticate)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &fixture{url: srv.URL, store: store, pool: pool, iss: iss}
}

// order creates an order for buyer and moves it to status along the happy
// path (or cancels it).
func (f *fixture) order(t *testing.T, buyer string, status ordering.Status) int64 {
	t.Helper()
	ctx := context.Background()
	o, err := ordering.NewOrder(uuid.New(), ordering.Buyer{ID: buyer, Name: "Alice"},
		ordering.Address{Street: "1 Main St", City: "Springfield", State: "IL", Country: "US", ZipCode: "62701"},
		ordering.Card{PaymentToken: "tok.en", TypeID: 1, Last4: "0005", HolderName: "Alice", Expiration: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		[]ordering.Item{{ProductID: 3, ProductName: "Cap", UnitPrice: money.MustParse("4.99"), Units: 2, PictureURL: "3.png"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		_, err := f.store.Create(ctx, tx, o)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	path := map[ordering.Status][]func(*ordering.Order) error{
		ordering.Submitted:          nil,
		ordering.AwaitingValidation: {(*ordering.Order).AwaitValidation},
		ordering.StockConfirmed:     {(*ordering.Order).AwaitValidation, (*ordering.Order).ConfirmStock},
		ordering.Paid:               {(*ordering.Order).AwaitValidation, (*ordering.Order).ConfirmStock, (*ordering.Order).ConfirmPayment},
		ordering.Shipped:            {(*ordering.Order).AwaitValidation, (*ordering.Order).ConfirmStock, (*ordering.Order).ConfirmPayment, (*ordering.Order).Ship},
		ordering.Cancelled:          {(*ordering.Order).Cancel},
	}[status]
	for _, step := range path {
		if _, err := f.store.Change(ctx, o.Number, step); err != nil {
			t.Fatal(err)
		}
	}
	return o.Number
}

// status is the stored status of order number.
func (f *fixture) status(t *testing.T, number int64) ordering.Status {
	t.Helper()
	o, err := f.store.Get(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}

// events counts the stored events of order number by name.
func (f *fixture) events(t *testing.T, number int64, name string) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), `
		SELECT count(*) FROM integration_event_log
		WHERE event_name = $1 AND (content->>'OrderId')::bigint = $2`, name, number).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// client calls the API for t as an administrator; every answer is checked
// against openapi.yaml.
func (f *fixture) client(t *testing.T) *ordersClient {
	return f.as(t, f.iss.Admin())
}

// as is client calling with token.
func (f *fixture) as(t *testing.T, token string) *ordersClient {
	return &ordersClient{&testkit.Client{T: t, BaseURL: f.url, Contract: testkit.LoadContract(t, "../../openapi.yaml"), Token: token}}
}

// ordersClient is the API's operations, typed.
type ordersClient struct{ *testkit.Client }

type summary struct {
	OrderNumber int64       `json:"orderNumber"`
	Status      string      `json:"status"`
	Total       json.Number `json:"total"`
	Date        time.Time   `json:"date"`
}

type details struct {
	OrderNumber int64            `json:"orderNumber"`
	Status      string           `json:"status"`
	Description string           `json:"description"`
	ZipCode     string           `json:"zipCode"`
	BuyerID     string           `json:"buyerId"`
	Total       json.Number      `json:"total"`
	OrderItems  []map[string]any `json:"orderItems"`
}

type cardType struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// call sends a request without a body that must answer want with a request
// id (and, for an error, problem details), and decodes the body into out
// unless it is nil. It returns the body.
func (c *ordersClient) call(method, path string, want int, out any) []byte {
	c.T.Helper()
	res := c.JSON(method, path, nil, want, out)
	if res.Header.Get("X-Request-Id") == "" {
		c.T.Errorf("%s %s: no X-Request-Id", method, path)
	}
	if ct := res.Header.Get("Content-Type"); want >= 400 && ct != "application/problem+json" {
		c.T.Fatalf("%s %s: a %d with content type %q, want problem details", method, path, want, ct)
	}
	return res.Body
}

func (c *ordersClient) problem(method, path string, want int) testkit.Problem {
	c.T.Helper()
	var p testkit.Problem
	c.call(method, path, want, &p)
	return p
}

func (c *ordersClient) list(buyerID string) []summary {
	c.T.Helper()
	var list []summary
	c.call("GET", "/api/orders?buyerId="+buyerID, http.StatusOK, &list)
	return list
}

func (c *ordersClient) order(number int64) (details, []byte) {
	c.T.Helper()
	var o details
	body := c.call("GET", orderPath(number), http.StatusOK, &o)
	return o, body
}

// command PUTs a cancel or ship that must answer want, and returns the
// order it answers with (the zero value for an error).
func (c *ordersClient) command(number int64, command string, want int) details {
	c.T.Helper()
	var o details
	if want != http.StatusOK {
		c.problem("PUT", orderPath(number)+"/"+command, want)
		return o
	}
	c.call("PUT", orderPath(number)+"/"+command, want, &o)
	return o
}

func orderPath(number int64) string { return "/api/orders/" + strconv.FormatInt(number, 10) }

func TestListOrders(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	first := f.order(t, "buyer-1", ordering.Submitted)
	second := f.order(t, "buyer-1", ordering.Paid)
	f.order(t, "buyer-2", ordering.Submitted)

	list := c.list("buyer-1")
	if len(list) != 2 || list[0].OrderNumber != second || list[1].OrderNumber != first {
		t.Fatalf("list = %+v, want orders %d then %d (newest first)", list, second, first)
	}
	if list[0].Status != "Paid" || list[0].Total.String() != "9.98" || list[0].Date.IsZero() {
		t.Fatalf("summary = %+v", list[0])
	}

	if body := c.call("GET", "/api/orders?buyerId=nobody", http.StatusOK, nil); strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("an unknown buyer's list = %s, want []", body)
	}
	// Without buyerId, the list is the caller's own.
	for _, path := range []string{"/api/orders", "/api/orders/", "/api/orders?buyerId="} {
		var own []summary
		f.as(t, f.iss.Buyer("buyer-1")).call("GET", path, http.StatusOK, &own)
		if len(own) != 2 {
			t.Fatalf("GET %s as buyer-1: %d orders, want 2", path, len(own))
		}
	}
	for _, path := range []string{"/api/orders?buyerId=" + strings.Repeat("x", 201),
		"/api/orders?buyerId=a%00b", "/api/orders?buyerId=%FF", "/api/orders?buyerId=a%0Ab"} { // the rows: a 500 from PostgreSQL
		if p := c.problem("GET", path, http.StatusBadRequest); len(p.Errors["buyerId"]) == 0 {
			t.Fatalf("GET %s: the problem does not name buyerId: %+v", path, p)
		}
	}
}

func TestGetOrder(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	n := f.order(t, "buyer-1", ordering.Submitted)
	o, body := c.order(n)
	if o.OrderNumber != n || o.Status != "Submitted" || o.ZipCode != "62701" || o.BuyerID != "buyer-1" ||
		o.Total.String() != "9.98" || len(o.OrderItems) != 1 || o.OrderItems[0]["productName"] != "Cap" {
		t.Fatalf("order = %+v", o)
	}
	if v := endingIn(t, body, "0005"); v != "" {
		t.Fatalf("the order's answer shows the card's digits: %q", v)
	}
	c.problem("GET", "/api/orders/999999", http.StatusNotFound)
	c.problem("GET", "/api/orders/abc", http.StatusBadRequest)
	c.problem("GET", "/api/orders/0", http.StatusBadRequest)
	c.problem("GET", "/api/orders/-1", http.StatusBadRequest)
	c.problem("GET", "/api/orders/99999999999999999999", http.StatusBadRequest)
}

// TestCancelAndShip sends each command to an order in each status. Every
// subtest has an order of its own, so each stands alone: run any of them
// by itself.
func TestCancelAndShip(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		from       ordering.Status
		command    string
		wantCode   int
		wantStatus ordering.Status
	}{
		{ordering.Submitted, "cancel", 200, ordering.Cancelled},
		{ordering.AwaitingValidation, "cancel", 200, ordering.Cancelled},
		// The row: an order cancelled while its payment was in
		// flight ended Cancelled with the money taken (docs/events.md flow 6).
		{ordering.StockConfirmed, "cancel", 409, ordering.StockConfirmed},
		{ordering.Paid, "cancel", 409, ordering.Paid},
		{ordering.Shipped, "cancel", 409, ordering.Shipped},
		{ordering.Cancelled, "cancel", 200, ordering.Cancelled}, // idempotent
		{ordering.Submitted, "ship", 409, ordering.Submitted},
		{ordering.AwaitingValidation, "ship", 409, ordering.AwaitingValidation},
		{ordering.StockConfirmed, "ship", 409, ordering.StockConfirmed},
		{ordering.Paid, "ship", 200, ordering.Shipped},
		{ordering.Shipped, "ship", 409, ordering.Shipped},
		{ordering.Cancelled, "ship", 409, ordering.Cancelled},
	}
	for _, tc := range cases {
		t.Run(string(tc.from)+"/"+tc.command, func(t *testing.T) {
			n := f.order(t, "buyer-"+tc.command, tc.from)
			c := f.client(t) // the admin ships
			if tc.command == "cancel" {
				c = f.as(t, f.iss.Buyer("buyer-cancel")) // the buyer cancels
			}
			o := c.command(n, tc.command, tc.wantCode)
			if tc.wantCode == 200 && o.Status != string(tc.wantStatus) {
				t.Fatalf("answer status = %s, want %s", o.Status, tc.wantStatus)
			}
			if got := f.status(t, n); got != tc.wantStatus {
				t.Fatalf("stored status = %s, want %s", got, tc.wantStatus)
			}
			// The order's one Cancelled or Shipped event, stored when it
			// got there (here or by f.order); a refusal or a repeated
			// cancel stored none.
			wantCancelled, wantShipped := 0, 0
			switch tc.wantStatus {
			case ordering.Cancelled:
				wantCancelled = 1
			case ordering.Shipped:
				wantShipped = 1
			}
			cancelled := f.events(t, n, "OrderStatusChangedToCancelledIntegrationEvent")
			shipped := f.events(t, n, "OrderStatusChangedToShippedIntegrationEvent")
			if cancelled != wantCancelled || shipped != wantShipped {
				t.Fatalf("stored %d Cancelled and %d Shipped events, want %d and %d", cancelled, shipped, wantCancelled, wantShipped)
			}
		})
	}
}

// TestCommandsOnNoOrder: an unknown order is a 404, a bad number a 400,
// another method a 405.
func TestCommandsOnNoOrder(t *testing.T) {
	f := newFixture(t)
	for command, c := range map[string]*ordersClient{"cancel": f.as(t, f.iss.Buyer("buyer-1")), "ship": f.client(t)} {
		c.problem("PUT", "/api/orders/999999/"+command, http.StatusNotFound)
		c.problem("PUT", "/api/orders/x/"+command, http.StatusBadRequest)
		c.problem("POST", "/api/orders/1/"+command, http.StatusMethodNotAllowed)
	}
}

func TestCardTypes(t *testing.T) {
	c := newFixture(t).as(t, "") // public
	var got []cardType
	c.call("GET", "/api/orders/cardtypes", http.StatusOK, &got)
	if len(got) != 3 || got[0].Name != "Amex" || got[1].Name != "Visa" || got[2].Name != "MasterCard" {
		t.Fatalf("card types = %+v", got)
	}
	c.problem("GET", "/api/nothing", http.StatusNotFound)
}

// TestSettings: anyone reads the grace period, in whole seconds rounded
// up, so that a client waits at least as long as ordering.
func TestSettings(t *testing.T) {
	c := newFixture(t).as(t, "") // public
	var got map[string]any
	c.call("GET", "/api/orders/settings", http.StatusOK, &got)
	if fmt.Sprint(got) != "map[gracePeriodSeconds:2]" {
		t.Fatalf("settings = %v, want gracePeriodSeconds 2 for 1.5 s", got)
	}
}

// The access table of docs/http-api.md for ordering: a buyer reads and cancels
// their own orders (another's answers 404, another's list 403), only an
// admin ships, and an admin reads any order but cancels none of another
// buyer's.
func TestAccess(t *testing.T) {
	f := newFixture(t)
	bobs := f.order(t, "bob", ordering.Submitted)
	paid := f.order(t, "bob", ordering.Paid)
	for _, call := range [][2]string{{"GET", "/api/orders"}, {"GET", orderPath(bobs)}, {"PUT", orderPath(bobs) + "/cancel"}, {"PUT", orderPath(paid) + "/ship"}} {
		testkit.CheckAuthRequired(t, f.as(t, "").Client, f.iss, call[0], call[1], nil)
	}
	alice, bob, admin := f.as(t, f.iss.Buyer("alice")), f.as(t, f.iss.Buyer("bob")), f.client(t)
	alice.problem("GET", orderPath(bobs), http.StatusNotFound)
	alice.problem("PUT", orderPath(bobs)+"/cancel", http.StatusNotFound)
	alice.problem("GET", "/api/orders?buyerId=bob", http.StatusForbidden)
	bob.problem("PUT", orderPath(paid)+"/ship", http.StatusForbidden)
	admin.problem("PUT", orderPath(bobs)+"/cancel", http.StatusForbidden)
	if got := f.status(t, bobs); got != ordering.Submitted {
		t.Fatalf("a refused cancel changed the order to %s", got)
	}
	if got := f.status(t, paid); got != ordering.Paid {
		t.Fatalf("a refused ship changed the order to %s", got)
	}
	if len(alice.list("alice")) != 0 || len(bob.list("bob")) != 2 || len(admin.list("bob")) != 2 {
		t.Fatal("the lists are not each buyer's own")
	}
	if o, _ := admin.order(bobs); o.BuyerID != "bob" {
		t.Fatalf("the admin read %+v", o)
	}
	bob.order(bobs)
	bob.command(bobs, "cancel", http.StatusOK)
	admin.command(paid, "ship", http.StatusOK)
}

// A token signed with a key the issuer rotated in after the keys were
// cached is accepted: they are fetched again.
func TestATokenOfARotatedKeyIsAccepted(t *testing.T) {
	f := newFixture(t)
	f.client(t).list("bob") // caches the first key
	f.iss.Rotate()
	f.client(t).list("bob")
}

// endingIn returns the first string value of the JSON document body that
// ends in digits (a card's last four, shown alone or masked), or "". A
// search of the whole text would also find them in the order's date, whose
// fraction of a second may hold them.
func endingIn(t *testing.T, body []byte, digits string) string {
	t.Helper()
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	var find func(any) string
	find = func(v any) string {
		switch v := v.(type) {
		case string:
			if strings.HasSuffix(v, digits) {
				return v
			}
		case []any:
			for _, e := range v {
				if s := find(e); s != "" {
					return s
				}
			}
		case map[string]any:
			for _, e := range v {
				if s := find(e); s != "" {
					return s
				}
			}
		}
		return ""
	}
	return find(doc)
}

// The search of TestGetOrder finds card digits in any value, nested or
// masked, and not in a date's fraction of a second.
func TestEndingInFindsCardDigits(t *testing.T) {
	for body, want := range map[string]string{
		`{"orderDate":"2026-11-29T04:13:21.100057Z","total":9.98}`:      "",
		`{"card":{"number":"************0005"}}`:                        "************0005",
		`{"orderItems":[{"productName":"Cap"},{"last4":"0005"}]}`:       "0005",
		`{"orderDate":"2026-11-29T04:13:21.0005Z","buyerId":"buyer-1"}`: "",
	} {
		if got := endingIn(t, []byte(body), "0005"); got != want {
			t.Errorf("endingIn(%s) = %q, want %q", body, got, want)
		}
	}
}
