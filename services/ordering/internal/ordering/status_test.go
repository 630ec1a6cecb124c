package ordering_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/ordering/internal/ordering"
	"github.com/google/uuid"
)

// command is one thing that can happen to an order.
type command struct {
	name string
	run  func(o *ordering.Order) error
}

var commands = []command{
	{"AwaitValidation", (*ordering.Order).AwaitValidation},
	{"ConfirmStock", (*ordering.Order).ConfirmStock},
	{"RejectStock", func(o *ordering.Order) error { return o.RejectStock([]int64{2}, nil) }},
	{"ConfirmPayment", (*ordering.Order).ConfirmPayment},
	{"FailPayment", (*ordering.Order).FailPayment},
	{"Ship", (*ordering.Order).Ship},
	{"Cancel", (*ordering.Order).Cancel},
}

// outcome of a command in a status: the new status, or "" when the command
// is refused as an illegal transition.
type outcome = ordering.Status

const refused ordering.Status = ""

// machine is the whole state machine: every status × every command. A
// status or command missing here fails the test, so a new one cannot be
// added without deciding what it does everywhere.
var machine = map[ordering.Status]map[string]outcome{
	ordering.Submitted: {
		"AwaitValidation": ordering.AwaitingValidation,
		"ConfirmStock":    refused,
		"RejectStock":     refused,
		"ConfirmPayment":  refused,
		"FailPayment":     refused,
		"Ship":            refused,
		"Cancel":          ordering.Cancelled,
	},
	ordering.AwaitingValidation: {
		"AwaitValidation": refused,
		"ConfirmStock":    ordering.StockConfirmed,
		"RejectStock":     ordering.Cancelled,
		"ConfirmPayment":  refused,
		"FailPayment":     refused,
		"Ship":            refused,
		"Cancel":          ordering.Cancelled,
	},
	ordering.StockConfirmed: {
		"AwaitValidation": refused,
		"ConfirmStock":    refused,
		"RejectStock":     refused,
		"ConfirmPayment":  ordering.Paid,
		"FailPayment":     ordering.Cancelled,
		"Ship":            refused,
		"Cancel":          refused, // payment in flight (docs/events.md flow 6)
	},
	ordering.Paid: {
		"AwaitValidation": refused,
		"ConfirmStock":    refused,
		"RejectStock":     refused,
		"ConfirmPayment":  refused,
		"FailPayment":     refused,
		"Ship":            ordering.Shipped,
		"Cancel":          refused,
	},
	ordering.Shipped: {
		"AwaitValidation": refused,
		"ConfirmStock":    refused,
		"RejectStock":     refused,
		"ConfirmPayment":  refused,
		"FailPayment":     refused,
		"Ship":            refused,
		"Cancel":          refused,
	},
	ordering.Cancelled: {
		"AwaitValidation": refused,
		"ConfirmStock":    refused,
		"RejectStock":     refused,
		"ConfirmPayment":  refused,
		"FailPayment":     refused,
		"Ship":            refused,
		"Cancel":          ordering.Cancelled, // idempotent: no change, no event
	},
}

func loaded(status ordering.Status) *ordering.Order {
	return &ordering.Order{
		Number: 42,
		Buyer:  ordering.Buyer{ID: "buyer-1", Name: "Alice"},
		Status: status,
		Card:   ordering.Card{PaymentToken: "eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn", Last4: "1881"},
		Items: []ordering.Item{
			{ProductID: 1, ProductName: "Mug", UnitPrice: money.MustParse("8.50"), Units: 2},
			{ProductID: 2, ProductName: "T-Shirt", UnitPrice: money.MustParse("12.00"), Units: 1},
			{ProductID: 1, ProductName: "Mug", UnitPrice: money.MustParse("8.50"), Units: 1},
			{ProductID: 2, ProductName: "T-Shirt", UnitPrice: money.MustParse("11.00"), Units: 1},
		},
	}
}

func sameStock(a, b []ordering.StockItem) bool {
	return slices.EqualFunc(a, b, func(x, y ordering.StockItem) bool {
		return x.ProductID == y.ProductID && x.Units == y.Units && x.UnitPrice.Equal(y.UnitPrice)
	})
}

func TestStateMachineEveryStatusEveryCommand(t *testing.T) {
	if len(machine) != len(ordering.Statuses) {
		t.Fatalf("the table covers %d statuses, the domain has %d", len(machine), len(ordering.Statuses))
	}
	for _, from := range ordering.Statuses {
		row, ok := machine[from]
		if !ok || len(row) != len(commands) {
			t.Fatalf("status %s: the table has %d commands, want %d", from, len(row), len(commands))
		}
		for _, c := range commands {
			want, ok := row[c.name]
			if !ok {
				t.Fatalf("status %s: no expectation for %s", from, c.name)
			}
			t.Run(string(from)+"/"+c.name, func(t *testing.T) {
				o := loaded(from)
				err := c.run(o)
				changes := o.Changes()

				if want == refused {
					var te *ordering.TransitionError
					if !errors.Is(err, ordering.ErrIllegalTransition) || !errors.As(err, &te) || te.From != from {
						t.Fatalf("err = %v, want an illegal transition from %s", err, from)
					}
					if o.Status != from || len(changes) != 0 || o.Description != "" {
						t.Fatalf("a refused command changed the order: status %s, %d changes, description %q", o.Status, len(changes), o.Description)
					}
					return
				}
				if err != nil {
					t.Fatalf("err = %v, want %s", err, want)
				}
				if o.Status != want {
					t.Fatalf("status = %s, want %s", o.Status, want)
				}
				if from == want {
					// Cancel of a cancelled order: nothing happens.
					if len(changes) != 0 {
						t.Fatalf("a no-op recorded %d changes", len(changes))
					}
					return
				}
				if len(changes) != 1 {
					t.Fatalf("%d changes recorded, want 1", len(changes))
				}
				// Paid or Cancelled, the order has no more use for its token.
				if dropped := want == ordering.Paid || want == ordering.Cancelled; (o.Card.PaymentToken == "") != dropped || o.Card.Last4 != "1881" {
					t.Fatalf("%s: payment token %q, last four %q", want, o.Card.PaymentToken, o.Card.Last4)
				}
				ch := changes[0]
				if ch.Status != want || ch.OrderNumber != 42 || ch.BuyerID != "buyer-1" || ch.BuyerName != "Alice" {
					t.Fatalf("change = %+v", ch)
				}
				wantStock := want == ordering.AwaitingValidation || want == ordering.Paid
				if wantStock {
					// One entry per product at a price, units summed
					// over lines.
					if !sameStock(ch.StockItems, []ordering.StockItem{{ProductID: 1, Units: 3, UnitPrice: money.MustParse("8.50")},
						{ProductID: 2, Units: 1, UnitPrice: money.MustParse("12.00")}, {ProductID: 2, Units: 1, UnitPrice: money.MustParse("11.00")}}) {
						t.Fatalf("stock items = %+v", ch.StockItems)
					}
				} else if ch.StockItems != nil {
					t.Fatalf("stock items on a %s change: %+v", want, ch.StockItems)
				}
				if want == ordering.Cancelled && o.Description == "" {
					t.Fatal("a cancelled order has no description")
				}
			})
		}
	}
}

func TestChangesAreTakenOnce(t *testing.T) {
	o := loaded(ordering.Submitted)
	for _, step := range []func() error{o.AwaitValidation, o.ConfirmStock, o.ConfirmPayment, o.Ship} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	var got []ordering.Status
	for _, c := range o.Changes() {
		got = append(got, c.Status)
	}
	want := []ordering.Status{ordering.AwaitingValidation, ordering.StockConfirmed, ordering.Paid, ordering.Shipped}
	if !slices.Equal(got, want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}
	if again := o.Changes(); len(again) != 0 {
		t.Fatalf("changes returned twice: %v", again)
	}
}

func TestRejectStockNamesTheProducts(t *testing.T) {
	o := loaded(ordering.AwaitingValidation)
	if err := o.RejectStock([]int64{2, 99}, nil); err != nil {
		t.Fatal(err)
	}
	want := "The order was cancelled: out of stock: T-Shirt (product 2), product 99."
	if o.Description != want {
		t.Fatalf("description = %q, want %q", o.Description, want)
	}
	o = loaded(ordering.AwaitingValidation)
	if err := o.RejectStock([]int64{2}, []int64{1}); err != nil {
		t.Fatal(err)
	}
	want = "The order was cancelled: out of stock: T-Shirt (product 2); no longer at the price ordered: Mug (product 1)."
	if o.Description != want {
		t.Fatalf("description = %q, want %q", o.Description, want)
	}
}

// validCheckout is a checkout every rule accepts, made at checkedOutAt.
func validCheckout() (ordering.Buyer, ordering.Address, ordering.Card, []ordering.Item) {
	return ordering.Buyer{ID: "b1"},
		ordering.Address{Street: "1 Main St", City: "Seattle", State: "WA", Country: "US", ZipCode: "98101"},
		ordering.Card{PaymentToken: "eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn", TypeID: 2, Last4: "1881", HolderName: "Alice",
			Expiration: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		[]ordering.Item{
			{ProductID: 1, ProductName: "Mug", UnitPrice: money.MustParse("8.50"), Units: 3},
			{ProductID: 2, ProductName: "T-Shirt", UnitPrice: money.MustParse("0.10"), Units: 3},
		}
}

var checkedOutAt = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestNewOrder(t *testing.T) {
	buyer, address, card, items := validCheckout()
	o, err := ordering.NewOrder(uuid.New(), buyer, address, card, items, checkedOutAt)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != ordering.Submitted {
		t.Fatalf("status = %s", o.Status)
	}
	if o.Card != card {
		t.Fatalf("card = %+v, want %+v", o.Card, card)
	}
	if o.Buyer.Name != "b1" {
		t.Fatalf("a buyer without a name is named %q, want its id", o.Buyer.Name)
	}
	// 25.50 + 0.30, exactly (0.1 × 3 is not 0.3 in float64).
	if !o.Total().Equal(money.MustParse("25.80")) {
		t.Fatalf("total = %s", o.Total())
	}
	changes := o.Changes()
	if len(changes) != 1 || changes[0].Status != ordering.Submitted {
		t.Fatalf("changes = %+v, want one Submitted", changes)
	}
}

// A checkout that could not become a complete order is refused, naming
// the problem.
func TestNewOrderRefusesAnIncompleteCheckout(t *testing.T) {
	item := func(edit func(*ordering.Item)) func(*ordering.Buyer, *ordering.Address, *ordering.Card, *[]ordering.Item) {
		return func(_ *ordering.Buyer, _ *ordering.Address, _ *ordering.Card, items *[]ordering.Item) {
			edit(&(*items)[0])
		}
	}
	for _, tc := range []struct {
		name, reason string
		req          uuid.UUID
		edit         func(*ordering.Buyer, *ordering.Address, *ordering.Card, *[]ordering.Item)
	}{
		{"no request id", "request id", uuid.Nil, func(*ordering.Buyer, *ordering.Address, *ordering.Card, *[]ordering.Item) {}},
		{"no buyer", "buyer id", uuid.New(), func(b *ordering.Buyer, _ *ordering.Address, _ *ordering.Card, _ *[]ordering.Item) { b.ID = " " }},
		{"no address", "street", uuid.New(), func(_ *ordering.Buyer, a *ordering.Address, _ *ordering.Card, _ *[]ordering.Item) {
			*a = ordering.Address{}
		}},
		{"no zip code", "zip code", uuid.New(), func(_ *ordering.Buyer, a *ordering.Address, _ *ordering.Card, _ *[]ordering.Item) { a.ZipCode = "" }},
		{"a NUL in the city", "city", uuid.New(), func(_ *ordering.Buyer, a *ordering.Address, _ *ordering.Card, _ *[]ordering.Item) {
			a.City = "Sea\x00ttle"
		}},
		{"no token", "payment token", uuid.New(), func(_ *ordering.Buyer, _ *ordering.Address, c *ordering.Card, _ *[]ordering.Item) {
			c.PaymentToken = ""
		}},
		{"a malformed token", "payment token", uuid.New(), func(_ *ordering.Buyer, _ *ordering.Address, c *ordering.Card, _ *[]ordering.Item) {
			c.PaymentToken = "a b"
		}},
		{"no last four", "last four", uuid.New(), func(_ *ordering.Buyer, _ *ordering.Address, c *ordering.Card, _ *[]ordering.Item) { c.Last4 = "" }},
		{"a whole card number", "last four", uuid.New(), func(_ *ordering.Buyer, _ *ordering.Address, c *ordering.Card, _ *[]ordering.Item) {
			c.Last4 = "4012888888881881"
		}},
		{"no card type", "card type", uuid.New(), func(_ *ordering.Buyer, _ *ordering.Address, c *ordering.Card, _ *[]ordering.Item) { c.TypeID = 0 }},
		{"no holder", "card holder", uuid.New(), func(_ *ordering.Buyer, _ *ordering.Address, c *ordering.Card, _ *[]ordering.Item) { c.HolderName = "" }},
		{"no expiry", "expired", uuid.New(), func(_ *ordering.Buyer, _ *ordering.Address, c *ordering.Card, _ *[]ordering.Item) {
			c.Expiration = time.Time{}
		}},
		{"expired", "expired", uuid.New(), func(_ *ordering.Buyer, _ *ordering.Address, c *ordering.Card, _ *[]ordering.Item) {
			c.Expiration = checkedOutAt
		}},
		{"no items", "no items", uuid.New(), func(_ *ordering.Buyer, _ *ordering.Address, _ *ordering.Card, items *[]ordering.Item) { *items = nil }},
		{"zero units", "units", uuid.New(), item(func(i *ordering.Item) { i.Units = 0 })},
		{"free", "unit price", uuid.New(), item(func(i *ordering.Item) { i.UnitPrice = money.Zero })},
		{"negative price", "unit price", uuid.New(), item(func(i *ordering.Item) { i.UnitPrice = money.MustParse("-1") })},
		{"fraction of a cent", "unit price", uuid.New(), item(func(i *ordering.Item) { i.UnitPrice = money.MustParse("1.001") })},
		{"no product", "product id", uuid.New(), item(func(i *ordering.Item) { i.ProductID = 0 })},
		{"a product id over 32 bits", "product id", uuid.New(), item(func(i *ordering.Item) { i.ProductID = 2147483648 })},
		{"a huge total", "total", uuid.New(), item(func(i *ordering.Item) { i.UnitPrice, i.Units = money.MustParse("1e9"), 1e9 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buyer, address, card, items := validCheckout()
			tc.edit(&buyer, &address, &card, &items)
			_, err := ordering.NewOrder(tc.req, buyer, address, card, items, checkedOutAt)
			if !errors.Is(err, ordering.ErrInvalidOrder) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err = %v, want ErrInvalidOrder naming %q", err, tc.reason)
			}
		})
	}
}
