package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/ordering/internal/events"
	"github.com/eshop-go/eshop-go/services/ordering/internal/httpapi"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/eshop-go/eshop-go/services/ordering/internal/postgres"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// The routes the router serves and the operations openapi.yaml describes
// are the same set.
func TestRoutesMatchOpenAPI(t *testing.T) {
	doc := loadDoc(t)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	var served []string
	h := httpapi.NewHandler(slog.New(slog.DiscardHandler), nil, host.NewHealth())
	err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route != "/" {
			route = strings.TrimSuffix(route, "/")
		}
		served = append(served, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("routes and openapi.yaml disagree:\nserved:     %v\ndocumented: %v", served, documented)
	}
}

type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	store  *postgres.Store
	pool   *pgxpool.Pool
	router routers.Router
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testkit.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	store := postgres.NewStore(pool, events.StatusEvent)
	srv := httptest.NewServer(httpapi.NewHandler(slog.New(slog.DiscardHandler), store, nil))
	t.Cleanup(srv.Close)

	doc := loadDoc(t)
	doc.Servers = nil // match any host: the test server's port is random
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, store: store, pool: pool, router: router}
}

// order creates an order for buyer and moves it to status along the happy
// path (or cancels it).
func (f *fixture) order(buyer string, status ordering.Status) int64 {
	f.t.Helper()
	ctx := context.Background()
	o, err := ordering.NewOrder(uuid.New(), ordering.Buyer{ID: buyer, Name: "Alice"},
		ordering.Address{Street: "1 Main St", City: "Springfield", State: "IL", Country: "US", ZipCode: "62701"},
		1, "378282246310005", "Alice", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		[]ordering.Item{{ProductID: 3, ProductName: "Cap", UnitPrice: money.MustParse("4.99"), Units: 2, PictureURL: "3.png"}})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		_, err := f.store.Create(ctx, tx, o)
		return err
	}); err != nil {
		f.t.Fatal(err)
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
			f.t.Fatal(err)
		}
	}
	return o.Number
}

// do sends a request and checks the answer against openapi.yaml (status,
// content type and body schema) before returning it.
func (f *fixture) do(method, path string) (int, []byte, http.Header) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	if res.Header.Get("X-Request-Id") == "" {
		f.t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	if route, params, err := f.router.FindRoute(req); err == nil {
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
		if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(body)),
		}); err != nil {
			f.t.Errorf("%s %s: the answer %d does not match openapi.yaml: %v\n%s", method, path, res.StatusCode, err, body)
		}
	}
	return res.StatusCode, body, res.Header
}

func (f *fixture) expect(method, path string, status int) []byte {
	f.t.Helper()
	got, body, header := f.do(method, path)
	if got != status {
		f.t.Fatalf("%s %s = %d, want %d: %s", method, path, got, status, body)
	}
	if status >= 400 && header.Get("Content-Type") != "application/problem+json" {
		f.t.Fatalf("%s %s: a %d with content type %q, want problem details", method, path, status, header.Get("Content-Type"))
	}
	return body
}

func (f *fixture) status(number int64) ordering.Status {
	f.t.Helper()
	o, err := f.store.Get(context.Background(), number)
	if err != nil {
		f.t.Fatal(err)
	}
	return o.Status
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

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func TestListOrders(t *testing.T) {
	f := newFixture(t)
	first := f.order("buyer-1", ordering.Submitted)
	second := f.order("buyer-1", ordering.Paid)
	f.order("buyer-2", ordering.Submitted)

	body := f.expect("GET", "/api/orders?buyerId=buyer-1", http.StatusOK)
	list := decode[[]struct {
		OrderNumber int64       `json:"orderNumber"`
		Status      string      `json:"status"`
		Total       json.Number `json:"total"`
		Date        time.Time   `json:"date"`
	}](t, body)
	if len(list) != 2 || list[0].OrderNumber != second || list[1].OrderNumber != first {
		t.Fatalf("list = %+v, want orders %d then %d (newest first)", list, second, first)
	}
	if list[0].Status != "Paid" || list[0].Total.String() != "9.98" || list[0].Date.IsZero() {
		t.Fatalf("summary = %+v", list[0])
	}

	if body := f.expect("GET", "/api/orders?buyerId=nobody", http.StatusOK); strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("an unknown buyer's list = %s, want []", body)
	}
	for _, path := range []string{"/api/orders", "/api/orders/", "/api/orders?buyerId=", "/api/orders?buyerId=" + strings.Repeat("x", 201)} {
		p := decode[map[string]any](t, f.expect("GET", path, http.StatusBadRequest))
		if errs, _ := p["errors"].(map[string]any); errs["buyerId"] == nil {
			t.Fatalf("GET %s: the problem does not name buyerId: %v", path, p)
		}
	}
}

func TestGetOrder(t *testing.T) {
	f := newFixture(t)
	n := f.order("buyer-1", ordering.Submitted)
	o := decode[details](t, f.expect("GET", "/api/orders/"+strconv.FormatInt(n, 10), http.StatusOK))
	if o.OrderNumber != n || o.Status != "Submitted" || o.ZipCode != "62701" || o.BuyerID != "buyer-1" ||
		o.Total.String() != "9.98" || len(o.OrderItems) != 1 || o.OrderItems[0]["productName"] != "Cap" {
		t.Fatalf("order = %+v", o)
	}
	if strings.Contains(string(f.expect("GET", "/api/orders/"+strconv.FormatInt(n, 10), http.StatusOK)), "0005") {
		t.Fatal("the order's answer shows card digits")
	}
	f.expect("GET", "/api/orders/999999", http.StatusNotFound)
	f.expect("GET", "/api/orders/abc", http.StatusBadRequest)
	f.expect("GET", "/api/orders/0", http.StatusBadRequest)
	f.expect("GET", "/api/orders/-1", http.StatusBadRequest)
	f.expect("GET", "/api/orders/99999999999999999999", http.StatusBadRequest)
}

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
		{ordering.StockConfirmed, "cancel", 200, ordering.Cancelled},
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
			f.t = t
			n := f.order("buyer-"+tc.command, tc.from)
			body := f.expect("PUT", "/api/orders/"+strconv.FormatInt(n, 10)+"/"+tc.command, tc.wantCode)
			if tc.wantCode == 200 {
				if o := decode[details](t, body); o.Status != string(tc.wantStatus) {
					t.Fatalf("answer status = %s, want %s", o.Status, tc.wantStatus)
				}
			}
			if got := f.status(n); got != tc.wantStatus {
				t.Fatalf("stored status = %s, want %s", got, tc.wantStatus)
			}
		})
	}
	f.t = t
	for _, command := range []string{"cancel", "ship"} {
		f.expect("PUT", "/api/orders/999999/"+command, http.StatusNotFound)
		f.expect("PUT", "/api/orders/x/"+command, http.StatusBadRequest)
		f.expect("POST", "/api/orders/1/"+command, http.StatusMethodNotAllowed)
	}
	// Each successful transition stored its one event; refusals stored none.
	var cancelled, shipped int
	if err := f.pool.QueryRow(context.Background(), `
		SELECT count(*) FILTER (WHERE event_name = 'OrderStatusChangedToCancelledIntegrationEvent'),
		       count(*) FILTER (WHERE event_name = 'OrderStatusChangedToShippedIntegrationEvent')
		FROM integration_event_log`).Scan(&cancelled, &shipped); err != nil {
		t.Fatal(err)
	}
	// 3 cancels over HTTP + 1 per fixture order made Cancelled (2) = 5;
	// 1 ship over HTTP + 1 per fixture order made Shipped (2) = 3.
	if cancelled != 5 || shipped != 3 {
		t.Fatalf("stored %d Cancelled and %d Shipped events, want 5 and 3", cancelled, shipped)
	}
}

func TestCardTypes(t *testing.T) {
	f := newFixture(t)
	got := decode[[]struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}](t, f.expect("GET", "/api/orders/cardtypes", http.StatusOK))
	if len(got) != 3 || got[0].Name != "Amex" || got[1].Name != "Visa" || got[2].Name != "MasterCard" {
		t.Fatalf("card types = %+v", got)
	}
	f.expect("GET", "/api/nothing", http.StatusNotFound)
}
