package shop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/google/uuid"
)

// Story walks the demo: the catalog, a basket, a price change the basket
// follows, a checkout, the order through every status to Paid, the stock it
// took, and shipping. Each step is printed to Out; a step that does not
// happen within Patience is an error that says what was last seen.
type Story struct {
	// Client has the shop's addresses; the story calls as Buyer and Admin
	// with it.
	Client *Client
	// Buyer shops: the basket, the checkout, the order. A buyer who has
	// ordered before may shop again: the story follows the new order.
	Buyer User
	// Admin changes the price and ships.
	Admin TokenSource
	Out   io.Writer
	// Patience bounds each wait for an asynchronous effect (default 60s).
	// It is a give-up limit, not a measurement.
	Patience time.Duration
	// Watcher, when set, shows the status events of the order as they
	// arrive on the bus, and the story checks that each status was
	// published once, in order.
	Watcher *StatusWatcher

	printed map[int64]int // status events printed so far, per order
	// grace is ordering's grace period, read from the shop by Run: the
	// wait for an order to leave Submitted is Patience on top of it.
	grace time.Duration
}

// Outcome is what the story made, for the tests to check further.
type Outcome struct {
	BuyerID     string
	RequestID   string
	OrderNumber int64
	Product     Item // as it was before the story
	Units       int
}

// TestCard is the demo's card. Only payment ever sees it: the checkout
// carries its token (DemoCheckout).
var TestCard = Card{
	CardNumber: "4012888888881881", CardHolderName: "Demo Buyer", CardExpiration: "2030-12-31T00:00:00Z",
	CardSecurityNumber: "4729", CardTypeID: 2,
}

// DemoCheckout is the demo buyer's checkout, paid with the card payment
// sealed in t.
func DemoCheckout(t PaymentToken) Checkout {
	return Checkout{
		City: "Redmond", Street: "15703 NE 61st Ct", State: "WA", Country: "U.S.", ZipCode: "98052",
		PaymentToken: t.PaymentToken, CardLast4: t.CardLast4, CardHolderName: t.CardHolderName,
		CardExpiration: t.CardExpiration, CardTypeID: t.CardTypeID,
	}
}

func (s *Story) say(format string, args ...any) {
	if s.Out != nil {
		fmt.Fprintf(s.Out, format+"\n", args...)
	}
}

// Eventually polls cond until it reports done, fails, or Patience runs out;
// then the error names what was awaited and the last state seen.
func (s *Story) Eventually(ctx context.Context, what string, cond func() (done bool, state string, err error)) error {
	return s.eventuallyWithin(ctx, 0, what, cond)
}

// eventuallyWithin is Eventually with extra time on top of Patience, for a
// wait the shop prolongs on purpose (the grace period).
func (s *Story) eventuallyWithin(ctx context.Context, extra time.Duration, what string, cond func() (done bool, state string, err error)) error {
	patience := s.Patience
	if patience == 0 {
		patience = 60 * time.Second
	}
	patience += extra
	deadline := time.Now().Add(patience)
	last := "nothing yet"
	for {
		done, state, err := cond()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if state != "" {
			last = state
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not happen within %s; last seen: %s", what, patience, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Run walks the whole story.
func (s *Story) Run(ctx context.Context) (Outcome, error) {
	var out Outcome
	if s.Buyer.ID == "" || s.Buyer.Tokens == nil || s.Admin == nil {
		return out, errors.New("the story needs a signed-in buyer and admin (Story.Buyer, Story.Admin)")
	}
	c := s.Client
	buyer, admin := c.As(s.Buyer.Tokens), c.As(s.Admin)
	if err := s.Eventually(ctx, "every service ready", func() (bool, string, error) {
		err := c.Ready(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		return true, "", nil
	}); err != nil {
		return out, err
	}
	grace, err := c.GracePeriod(ctx)
	if err != nil {
		return out, err
	}
	s.grace = grace

	s.say("\n== 1. The catalog")
	page, err := c.Items(ctx, 10)
	if err != nil {
		return out, err
	}
	s.say("%d items; the first %d:", page.Count, len(page.Data))
	var product, other *Item
	for i := range page.Data {
		it := &page.Data[i]
		s.say("  #%-3d %-40s %8s  stock %d", it.ID, it.Name, it.Price, it.AvailableStock)
		switch {
		case product == nil && it.AvailableStock >= 2:
			product = it
		case other == nil && it.AvailableStock >= 1:
			other = it
		}
	}
	if product == nil || other == nil {
		return out, errors.New("the first page has no two items in stock")
	}
	out.Product, out.Units = *product, 2

	out.BuyerID = s.Buyer.ID
	who := out.BuyerID
	if s.Buyer.Name != "" {
		who = s.Buyer.Name + " (" + who + ")"
	}
	s.say("\n== 2. Buyer %s fills a basket", who)
	basket, err := buyer.SetBasket(ctx, out.BuyerID, []BasketItem{
		{ProductID: product.ID, ProductName: product.Name, UnitPrice: product.Price, Quantity: out.Units, PictureURL: product.PictureFileName},
		{ProductID: other.ID, ProductName: other.Name, UnitPrice: other.Price, Quantity: 1, PictureURL: other.PictureFileName},
	})
	if err != nil {
		return out, err
	}
	for _, l := range basket.Items {
		s.say("  %d x %-40s %8s", l.Quantity, l.ProductName, l.UnitPrice)
	}

	newPrice := product.Price.Add(money.MustParse("1.00"))
	s.say("\n== 3. Catalog changes the price of %q: %s -> %s", product.Name, product.Price, newPrice)
	if _, err := admin.UpdateItem(ctx, product.ID, func(it *Item) { it.Price = newPrice }); err != nil {
		return out, err
	}
	if err := s.Eventually(ctx, "the basket line following the new price", func() (bool, string, error) {
		b, err := buyer.Basket(ctx, out.BuyerID)
		if err != nil {
			return false, "", err
		}
		for _, l := range b.Items {
			if l.ProductID == product.ID {
				state := fmt.Sprintf("unitPrice %s, oldUnitPrice %v", l.UnitPrice, l.OldUnitPrice)
				ok := l.UnitPrice.Equal(newPrice) && l.OldUnitPrice != nil && l.OldUnitPrice.Equal(product.Price)
				if ok {
					s.say("  basket line: unitPrice %s, oldUnitPrice %s (ProductPriceChangedIntegrationEvent arrived)", l.UnitPrice, *l.OldUnitPrice)
				}
				return ok, state, nil
			}
		}
		return false, "the line is gone", nil
	}); err != nil {
		return out, err
	}

	s.say("\n== 4. The card goes to payment, the checkout carries its token")
	token, err := c.Tokenize(ctx, out.BuyerID, TestCard)
	if err != nil {
		return out, err
	}
	s.say("  payment: card ending %s tokenized, the token expires at %s", token.CardLast4, token.ExpiresAt.Format(time.RFC3339))
	before, err := buyer.Orders(ctx, out.BuyerID)
	if err != nil {
		return out, err
	}
	out.RequestID = uuid.NewString()
	if err := buyer.Checkout(ctx, out.BuyerID, out.RequestID, DemoCheckout(token)); err != nil {
		return out, err
	}
	s.say("  checkout (x-requestid %s): 202 Accepted", out.RequestID)

	s.say("\n== 5. The order, through every status")
	s.say("  (ordering's grace period is %s: the order stays Submitted, and may be cancelled, that long)", s.grace)
	if err := s.Eventually(ctx, "the order to be created", func() (bool, string, error) {
		orders, err := buyer.Orders(ctx, out.BuyerID)
		if err != nil {
			return false, "", err
		}
		if len(orders) == len(before) {
			return false, "no new order", nil
		}
		out.OrderNumber = orders[0].OrderNumber
		s.say("  order #%d created, total %s", orders[0].OrderNumber, orders[0].Total)
		return true, "", nil
	}); err != nil {
		return out, err
	}
	if err := s.FollowOrder(ctx, out.OrderNumber, "Paid"); err != nil {
		return out, err
	}
	if err := s.Eventually(ctx, "the basket to be emptied after OrderStarted", func() (bool, string, error) {
		b, err := buyer.Basket(ctx, out.BuyerID)
		if err != nil {
			return false, "", err
		}
		return len(b.Items) == 0, fmt.Sprintf("%d lines", len(b.Items)), nil
	}); err != nil {
		return out, err
	}
	s.say("  the basket is empty again (OrderStartedIntegrationEvent)")

	s.say("\n== 6. The stock it took")
	after, err := c.Item(ctx, product.ID)
	if err != nil {
		return out, err
	}
	s.say("  %q: stock %d -> %d", product.Name, product.AvailableStock, after.AvailableStock)
	if want := product.AvailableStock - int64(out.Units); after.AvailableStock > want {
		return out, fmt.Errorf("stock of %q is %d, want at most %d after the order", product.Name, after.AvailableStock, want)
	}

	s.say("\n== 7. Ship it")
	if err := admin.Ship(ctx, out.OrderNumber); err != nil {
		return out, err
	}
	o, err := buyer.Order(ctx, out.OrderNumber)
	if err != nil {
		return out, err
	}
	if o.Status != "Shipped" {
		return out, fmt.Errorf("order #%d is %s after shipping, want Shipped", o.OrderNumber, o.Status)
	}
	if err := s.FollowOrder(ctx, out.OrderNumber, "Shipped"); err != nil {
		return out, err
	}
	if err := s.CheckStatusEvents(out.OrderNumber, "Submitted", "AwaitingValidation", "StockConfirmed", "Paid", "Shipped"); err != nil {
		return out, err
	}
	s.say("  order #%d: %s. The story is complete.", o.OrderNumber, o.Status)
	return out, nil
}

// FollowOrder prints each status the order goes through until it reaches
// want; reaching another final status first is an error. With a Watcher
// it prints the status events as they arrive on the bus and waits for the
// event of want too; without one, the statuses an HTTP poll sees. It
// reads the order as the Admin, so it follows any buyer's order.
func (s *Story) FollowOrder(ctx context.Context, number int64, want string) error {
	seen := ""
	if s.printed == nil {
		s.printed = map[int64]int{}
	}
	// The order may still be Submitted: then it waits out the grace period
	// first.
	return s.eventuallyWithin(ctx, s.grace, fmt.Sprintf("order #%d to reach %s", number, want), func() (bool, string, error) {
		o, err := s.Client.As(s.Admin).Order(ctx, number) // any buyer's order
		if err != nil {
			return false, "", err
		}
		if s.Watcher != nil {
			events := s.Watcher.Statuses(number)
			for ; s.printed[number] < len(events); s.printed[number]++ {
				st := events[s.printed[number]]
				s.say("  order #%d: %-18s (event OrderStatusChangedTo%sIntegrationEvent)", number, st, st)
			}
		} else if o.Status != seen {
			seen = o.Status
			s.say("  order #%d: %s", number, o.Status)
		}
		if o.Status != want && (o.Status == "Cancelled" || o.Status == "Shipped") {
			return false, "", fmt.Errorf("order #%d ended %s (%s), want %s", number, o.Status, o.Description, want)
		}
		done := o.Status == want
		if s.Watcher != nil {
			events := s.Watcher.Statuses(number)
			done = done && len(events) > 0 && events[len(events)-1] == want
		}
		if done && o.Description != "" {
			s.say("  order #%d: %s", number, o.Description)
		}
		return done, o.Status, nil
	})
}

// CheckStatusEvents fails unless the order's status events arrived exactly
// as want, each once and in order.
func (s *Story) CheckStatusEvents(number int64, want ...string) error {
	if s.Watcher == nil {
		return nil
	}
	got := s.Watcher.Statuses(number)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("order #%d published the statuses %v, want %v", number, got, want)
	}
	return nil
}
