//go:build disruptive

package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/tests/e2e/shop"
	"github.com/google/uuid"
)

// While price changes and checkouts flow, the broker closes every
// connection and two services are killed with SIGKILL and restarted. Every
// committed price change still reaches the baskets, every checkout still
// becomes exactly one paid order, and stock is taken exactly once.
func TestDisruptiveConnectionsClosedAndServicesKilledMidFlow(t *testing.T) {
	ctx := context.Background()
	s := StartShop(t)
	st := s.story(t)
	items := s.readyItems(t, 12)
	priced := items[:4]   // their prices change; a watcher's basket follows them
	ordered := items[4:8] // bought once by each buyer
	// Enough stock for every round, so that every order is confirmed.
	stockBefore := map[int64]int64{}
	for i := range ordered {
		ordered[i].AvailableStock = 100
		if _, err := s.AsAdmin().UpdateItem(ctx, ordered[i].ID, func(it *shop.Item) { it.AvailableStock = 100 }); err != nil {
			t.Fatal(err)
		}
		stockBefore[ordered[i].ID] = 100
	}

	watcher := "watcher-" + uuid.NewString()[:8]
	var lines []shop.BasketItem
	for _, it := range priced {
		lines = append(lines, shop.BasketItem{ProductID: it.ID, ProductName: it.Name, UnitPrice: it.Price, Quantity: 1})
	}
	if _, err := s.AsBuyer(watcher).SetBasket(ctx, watcher, lines); err != nil {
		t.Fatal(err)
	}

	const rounds = 6
	buyers := make([]string, 0, rounds*len(ordered))
	final := map[int64]money.Money{}
	for round := range rounds {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		fail := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }
		for i := range priced {
			it := priced[i]
			it.Price = it.Price.Add(money.FromCents(int64(round+1) * 7))
			final[it.ID] = it.Price
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.AsAdmin().UpdateItem(ctx, it.ID, func(edit *shop.Item) { edit.Price = it.Price }); err != nil {
					fail(err)
				}
			}()
		}
		for _, it := range ordered {
			buyer := fmt.Sprintf("buyer-%d-%d-%s", round, it.ID, uuid.NewString()[:6])
			buyers = append(buyers, buyer)
			co := s.Checkout(t, buyer) // a token pays one order of its buyer
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.AsBuyer(buyer).SetBasket(ctx, buyer, []shop.BasketItem{{ProductID: it.ID, ProductName: it.Name, UnitPrice: it.Price, Quantity: 1}}); err != nil {
					fail(err)
					return
				}
				if err := s.AsBuyer(buyer).Checkout(ctx, buyer, uuid.NewString(), co); err != nil {
					fail(err)
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("round %d: %v", round, errs)
		}
		switch round {
		case 1:
			t.Log("closing every broker connection")
			testkit.CloseAllConnections(t)
		case 2:
			t.Log("killing basket with SIGKILL and starting it again")
			s.Kill("basket")
			s.Start("basket")
		case 3:
			t.Log("killing ordering and catalog with SIGKILL and starting them again")
			s.Kill("ordering")
			s.Kill("catalog")
			s.Start("ordering")
			s.Start("catalog")
		case 4:
			testkit.CloseAllConnections(t)
		}
		// The next round's requests go to restarted services: wait until they serve.
		s.WaitReady(t)
	}

	if err := st.Eventually(ctx, "the watcher's basket at the last committed prices", func() (bool, string, error) {
		b, err := s.AsBuyer(watcher).Basket(ctx, watcher)
		if err != nil {
			return false, "", err
		}
		behind := ""
		for _, l := range b.Items {
			if !l.UnitPrice.Equal(final[l.ProductID]) {
				behind += fmt.Sprintf(" product %d at %s, want %s;", l.ProductID, l.UnitPrice, final[l.ProductID])
			}
		}
		return behind == "" && len(b.Items) == len(priced), behind, nil
	}); err != nil {
		t.Fatal(err)
	}

	for _, buyer := range buyers {
		if err := st.Eventually(ctx, "one paid order for "+buyer, func() (bool, string, error) {
			orders, err := s.AsBuyer(buyer).Orders(ctx, buyer)
			if err != nil {
				return false, "", err
			}
			if len(orders) > 1 {
				return false, "", fmt.Errorf("%s has %d orders, want 1", buyer, len(orders))
			}
			if len(orders) == 0 {
				return false, "no order", nil
			}
			if orders[0].Status == "Cancelled" {
				return false, "", fmt.Errorf("%s's order was cancelled", buyer)
			}
			return orders[0].Status == "Paid", orders[0].Status, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, it := range ordered {
		got, err := s.Client.Item(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := stockBefore[it.ID] - rounds; got.AvailableStock != want {
			t.Errorf("stock of %q is %d, want %d (%d orders of one unit)", it.Name, got.AvailableStock, want, rounds)
		}
	}
}
