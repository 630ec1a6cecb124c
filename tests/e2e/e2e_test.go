package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/tests/e2e/shop"
	"github.com/google/uuid"
)

// The demo's story, across the four real binaries and identity: the buyer
// and the admin sign in at identity the way a browser does (authorization
// code with PKCE), none of their tokens reaches a log, and every event the
// services publish is one the AsyncAPI document describes.
func TestTheDemoStory(t *testing.T) {
	ctx := context.Background()
	s := StartShopWithIdentity(t)
	published := s.observeContract(t)
	st := s.story(t)
	out, err := st.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.checkOwnUsers(t)
	published.check(t, "ProductPriceChangedIntegrationEvent", "UserCheckoutAcceptedIntegrationEvent", "OrderStartedIntegrationEvent",
		"OrderStatusChangedToSubmittedIntegrationEvent", "OrderStatusChangedToAwaitingValidationIntegrationEvent",
		"OrderStockConfirmedIntegrationEvent", "OrderStatusChangedToStockConfirmedIntegrationEvent",
		"OrderPaymentSucceededIntegrationEvent", "OrderStatusChangedToPaidIntegrationEvent", "OrderStatusChangedToShippedIntegrationEvent")
	if out.BuyerID != st.Buyer.ID {
		t.Errorf("the story shopped as %q, want the signed-in buyer's sub %q", out.BuyerID, st.Buyer.ID)
	}
	o, err := s.Client.As(st.Buyer.Tokens).Order(ctx, out.OrderNumber)
	if err != nil {
		t.Fatal(err)
	}
	newPrice := out.Product.Price.Add(money.MustParse("1.00"))
	for _, it := range o.OrderItems {
		if it.ProductID == out.Product.ID && !it.UnitPrice.Equal(newPrice) {
			t.Errorf("the order charged %s for %q, want the changed price %s", it.UnitPrice, out.Product.Name, newPrice)
		}
	}
	if _, err := s.Client.Basket(ctx, out.BuyerID); !isStatus(err, http.StatusUnauthorized) {
		t.Errorf("the basket without a token: %v, want 401", err)
	}
	if _, err := s.Client.As(st.Buyer.Tokens).UpdateItem(ctx, out.Product.ID, func(*shop.Item) {}); !isStatus(err, http.StatusForbidden) {
		t.Errorf("a buyer editing the catalog: %v, want 403", err)
	}
	buyerToken, _ := st.Buyer.Tokens(ctx)
	adminToken, _ := st.Admin(ctx)
	for _, service := range append(services, "identity") {
		logs := s.Logs(service)
		if !strings.Contains(logs, `"route"`) || strings.Contains(logs, buyerToken) || strings.Contains(logs, adminToken) {
			t.Errorf("%s's log has no request, or a token: %.2000s", service, logs)
		}
	}
}

// isStatus reports whether err is an answer with status.
func isStatus(err error, status int) bool {
	var e *shop.StatusError
	return errors.As(err, &e) && e.Status == status
}

// An order for more than the stock is cancelled and takes no stock from any
// of its lines; the rejection and the cancellation are published as the
// AsyncAPI document describes them.
func TestStockRejectionCancelsAndTakesNothing(t *testing.T) {
	ctx := context.Background()
	s := StartShop(t)
	published := s.observeContract(t)
	st := s.story(t)
	items := s.readyItems(t, 10)
	scarce, plenty := items[0], items[1]
	scarce, err := s.AsAdmin().UpdateItem(ctx, scarce.ID, func(it *shop.Item) { it.AvailableStock = 3 })
	if err != nil {
		t.Fatal(err)
	}
	plentyBefore := plenty.AvailableStock

	number := s.placeOrder(t, st, "rejected-"+uuid.NewString()[:8],
		shop.BasketItem{ProductID: scarce.ID, ProductName: scarce.Name, UnitPrice: scarce.Price, Quantity: 4},
		shop.BasketItem{ProductID: plenty.ID, ProductName: plenty.Name, UnitPrice: plenty.Price, Quantity: 1})
	if err := st.FollowOrder(ctx, number, "Cancelled"); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckStatusEvents(number, "Submitted", "AwaitingValidation", "Cancelled"); err != nil {
		t.Fatal(err)
	}
	published.check(t, "OrderStockRejectedIntegrationEvent", "OrderStatusChangedToCancelledIntegrationEvent")
	for _, want := range []struct {
		id, stock int64
	}{{scarce.ID, 3}, {plenty.ID, plentyBefore}} {
		it, err := s.Client.Item(ctx, want.id)
		if err != nil {
			t.Fatal(err)
		}
		if it.AvailableStock != want.stock {
			t.Errorf("stock of %q is %d after the rejected order, want %d", it.Name, it.AvailableStock, want.stock)
		}
	}
}

// Two checkouts with one x-requestid make one order. A later checkout of the
// same buyer, with a new request id, is the sentinel: once its order exists,
// the duplicate has had every chance to make a second one.
func TestRepeatedCheckoutMakesOneOrder(t *testing.T) {
	ctx := context.Background()
	s := StartShop(t)
	st := s.story(t)
	items := s.readyItems(t, 1)
	it := items[0]
	buyer := "twice-" + uuid.NewString()[:8]
	as := s.AsBuyer(buyer)
	fill := func() {
		if _, err := as.SetBasket(ctx, buyer, []shop.BasketItem{{ProductID: it.ID, ProductName: it.Name, UnitPrice: it.Price, Quantity: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	countOrders := func(want int) {
		if err := st.Eventually(ctx, fmt.Sprintf("%d orders", want), func() (bool, string, error) {
			orders, err := as.Orders(ctx, buyer)
			if err != nil {
				return false, "", err
			}
			if len(orders) > want {
				return false, "", fmt.Errorf("%d orders, want %d", len(orders), want)
			}
			return len(orders) == want, fmt.Sprintf("%d orders", len(orders)), nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	fill()
	requestID := uuid.NewString()
	co := s.Checkout(t, buyer)
	for range 2 {
		if err := as.Checkout(ctx, buyer, requestID, co); err != nil {
			t.Fatal(err)
		}
	}
	countOrders(1)
	if err := st.Eventually(ctx, "the basket to be emptied", func() (bool, string, error) {
		b, err := as.Basket(ctx, buyer)
		return err == nil && len(b.Items) == 0, fmt.Sprint(len(b.Items), err), nil
	}); err != nil {
		t.Fatal(err)
	}
	fill()
	if err := as.Checkout(ctx, buyer, uuid.NewString(), s.Checkout(t, buyer)); err != nil {
		t.Fatal(err)
	}
	countOrders(2)
}

// placeOrder fills buyer's basket with lines, checks out and returns the
// number of the order it made.
func (s *Shop) placeOrder(t *testing.T, st *shop.Story, buyer string, lines ...shop.BasketItem) int64 {
	t.Helper()
	ctx := context.Background()
	as := s.AsBuyer(buyer)
	if _, err := as.SetBasket(ctx, buyer, lines); err != nil {
		t.Fatal(err)
	}
	if err := as.Checkout(ctx, buyer, uuid.NewString(), s.Checkout(t, buyer)); err != nil {
		t.Fatal(err)
	}
	var number int64
	if err := st.Eventually(ctx, "the order", func() (bool, string, error) {
		orders, err := as.Orders(ctx, buyer)
		if err != nil || len(orders) == 0 {
			return false, fmt.Sprint(err), nil
		}
		number = orders[0].OrderNumber
		return true, "", nil
	}); err != nil {
		t.Fatal(err)
	}
	return number
}

// A payment that fails (PAYMENT_SUCCEEDED=false) cancels the order after
// its stock was confirmed, and catalog releases what it reserved; the
// payment's answer is published as the document describes it.
func TestFailedPaymentCancelsAndReleasesTheStock(t *testing.T) {
	ctx := context.Background()
	s := StartShop(t, "PAYMENT_SUCCEEDED=false")
	published := s.observeContract(t)
	st := s.story(t)
	items := s.readyItems(t, 10)
	it := items[2]
	number := s.placeOrder(t, st, "unpaid-"+uuid.NewString()[:8],
		shop.BasketItem{ProductID: it.ID, ProductName: it.Name, UnitPrice: it.Price, Quantity: 2})
	if err := st.FollowOrder(ctx, number, "Cancelled"); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckStatusEvents(number, "Submitted", "AwaitingValidation", "StockConfirmed", "Cancelled"); err != nil {
		t.Fatal(err)
	}
	published.check(t, "OrderStatusChangedToStockConfirmedIntegrationEvent", "OrderPaymentFailedIntegrationEvent",
		"OrderStatusChangedToCancelledIntegrationEvent")
	if err := st.Eventually(ctx, "the reservation released", func() (bool, string, error) {
		after, err := s.Client.Item(ctx, it.ID)
		if err != nil {
			return false, err.Error(), nil
		}
		return after.AvailableStock == it.AvailableStock, fmt.Sprintf("stock %d, want %d", after.AvailableStock, it.AvailableStock), nil
	}); err != nil {
		t.Fatal(err)
	}
}
