package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/eshop-go/eshop-go/tests/e2e/shop"
)

// TestStorefrontInABrowser is the storefront's story in a real browser,
// against the whole shop (identity, the four services and the webapp as
// processes): alice signs in, filters the catalog by brand and type and puts
// two items in her basket; the admin, in a browser context of their own,
// changes the price of one of them; alice's basket shows the price notice;
// she checks out with the test card, whose number goes from the page to
// payment only (no log has it); the order page she opened reaches Paid by itself, in the
// same document; she signs out. A screenshot of each step goes to
// tmp/screenshots/TestStorefrontInABrowser/.
func TestStorefrontInABrowser(t *testing.T) {
	// Ordering waits out a grace period before it validates an order; a
	// long one here, so that alice opens her order before it is paid and
	// watches it change.
	s := StartShopWithIdentity(t, "GRACE_PERIOD=8s")
	s.WaitReady(t)
	b := StartBrowser(t)
	alice := b.NewUser("alice")

	alice.Go(s.Webapp + "/")
	alice.WaitUntil("the catalog's pictures to load", `document.querySelectorAll("article.product").length > 0 &&
		Array.from(document.querySelectorAll("article.product img")).every(i => i.complete && i.naturalWidth > 0)`)
	alice.Screenshot("catalog")

	alice.Submit("sign in", "#signin")
	signIn(alice, "alice@example.com")
	if name := alice.Text("#user-name"); !strings.Contains(strings.ToLower(name), "alice") {
		t.Fatalf("signed in as %q, want alice", name)
	}
	alice.Screenshot("signed in")

	// Cinder & Pine's lighting is one product: the headlamp.
	headlamp := alice.filter("Cinder & Pine", "Lighting", 1)
	alice.Screenshot("filtered by brand and type")
	alice.addToBasket(headlamp)
	// Any brand's tents: three.
	tent := alice.filter("All", "Tents", 3)
	alice.addToBasket(tent)
	alice.Screenshot("added two items")

	admin := b.NewUser("admin")
	admin.Go(s.Webapp + "/signin")
	signIn(admin, "admin@example.com")
	admin.Go(fmt.Sprintf("%s/items/%d", s.Webapp, headlamp.id))
	admin.Submit("open the editor", `a[href="/admin/items/`+strconv.FormatInt(headlamp.id, 10)+`"]`)
	newPrice := lowerPrice(t, evaluate[string](admin, `document.querySelector("#edit-item [name=price]").value`))
	admin.Do("enter the new price", chromedp.SetValue(chromedp.CSS("#edit-item [name=price]"), newPrice))
	admin.Screenshot("admin edits the price")
	admin.Submit("save the price", "#edit-item button")
	if page := admin.Text("main"); !strings.Contains(page, "Saved") {
		t.Fatalf("the admin's edit was not saved: %s", page)
	}

	// The price change reaches the basket over the bus: the notice shows
	// once basket has handled it.
	notice := fmt.Sprintf(`tr.basket-line[data-product-id="%d"] .price-notice`, headlamp.id)
	eventually(t, alice, "the price notice in alice's basket", func() bool {
		alice.Go(s.Webapp + "/basket")
		return evaluate[bool](alice, `document.querySelector('`+notice+`') !== null`)
	})
	text := alice.Text(notice)
	if !strings.Contains(text, "Price changed") || !strings.Contains(text, strings.TrimPrefix(headlamp.price, "$")) ||
		!strings.Contains(text, newPrice) {
		t.Fatalf("price notice %q, want it to say was %s, now %s", text, headlamp.price, newPrice)
	}
	alice.Screenshot("basket shows the price change")

	alice.Submit("go to the checkout", "#checkout-link")
	card := time.Now().AddDate(3, 0, 0)
	fields := map[string]string{
		"#checkout [name=street]": "1 Trail Road", "#checkout [name=city]": "Boulder", "#checkout [name=state]": "CO",
		"#checkout [name=country]": "USA", "#checkout [name=zipCode]": "80301",
		"#cardNumber": shop.TestCard.CardNumber, "#cardHolderName": "Alice Smith",
		"#cardExpiration": card.Format("01/06"), "#cardSecurityNumber": shop.TestCard.CardSecurityNumber,
	}
	for sel, v := range fields {
		alice.Do("fill "+sel, chromedp.SetValue(chromedp.CSS(sel), v))
	}
	alice.choose("#cardTypeId", "Visa") // the test card's
	alice.Screenshot("checkout")
	alice.Submit("place the order", `#checkout button[type=submit]`)
	if loc := evaluate[string](alice, `location.pathname`); loc != "/orders" {
		t.Fatalf("after placing the order the page is %s, want /orders; the page says: %s", loc, alice.Text("main"))
	}

	// The order appears once ordering has taken the checkout.
	eventually(t, alice, "alice's order in her orders", func() bool {
		if evaluate[bool](alice, `document.querySelector("tr.order a") !== null`) {
			return true
		}
		alice.Go(s.Webapp + "/orders")
		return false
	})
	alice.Screenshot("orders")
	alice.Submit("open the order", "tr.order a")
	if status := alice.Text("#order-status"); status == "Paid" {
		t.Fatalf("the order is Paid already when its page opens: nothing to watch (GRACE_PERIOD too short?)")
	}
	alice.Screenshot("order placed")
	// A marker on this document: a reload or a navigation would lose it.
	evaluate[string](alice, `window.storyMarker = "same document"`)
	alice.WaitUntil("the order page to show Paid by itself", `document.getElementById("order-status").textContent.trim() === "Paid"`)
	if got := evaluate[string](alice, `String(window.storyMarker)`); got != "same document" {
		t.Fatalf("the order page was reloaded while it waited (marker %q)", got)
	}
	alice.Screenshot("order paid live")

	alice.Submit("sign out", "#signout button")
	alice.WaitUntil("the signed-out catalog", `document.getElementById("signin") !== null && location.pathname === "/"`)
	alice.Screenshot("signed out")

	// The card went from the page to payment only: the webapp, which took
	// the checkout, never saw its number or code, nor did any log.
	if !strings.Contains(s.Logs("webapp"), "/checkout") {
		t.Fatal("the webapp's log has no line of the checkout: the search below would find nothing")
	}
	for _, name := range append(services, "identity", "webapp") {
		checkNoCard(t, name+"'s log", s.Logs(name))
	}
}

// product is a product as the catalog page shows it.
type product struct {
	id          int64
	name, price string
}

// signIn fills identity's login page as email, with the demo password,
// and waits for the storefront to show the user's name.
func signIn(u *User, email string) {
	u.b.t.Helper()
	u.Do("fill the login form", chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SetValue(chromedp.CSS("#email"), email), chromedp.SetValue(chromedp.CSS("#password"), "Pass@word1"))
	u.Submit("sign in at identity", `button[type=submit]`)
	u.WaitUntil("the storefront to show "+email+" signed in", `document.getElementById("user-name") !== null`)
}

// filter chooses a brand and a type (by their labels) in the catalog's
// filters, submits them, checks that the page shows want products, and
// returns the first.
func (u *User) filter(brand, typ string, want int) product {
	u.b.t.Helper()
	u.choose("#filters [name=brand]", brand)
	u.choose("#filters [name=type]", typ)
	u.Submit("filter by "+brand+" and "+typ, `#filters button[type=submit]`)
	if n := evaluate[int](u, `document.querySelectorAll("article.product").length`); n != want {
		u.fail("filter by "+brand+" and "+typ, fmt.Errorf("%d products, want %d", n, want))
	}
	first := evaluate[[]string](u, `(() => {
		const a = document.querySelector("article.product");
		return a ? [a.dataset.productId, a.querySelector("a[href^='/items/']").textContent.trim(), a.querySelector(".price").textContent.trim()] : [];
	})()`)
	if len(first) != 3 {
		u.fail("read the filtered products", fmt.Errorf("no product for %s and %s", brand, typ))
	}
	id, err := strconv.ParseInt(first[0], 10, 64)
	if err != nil {
		u.fail("read the filtered products", err)
	}
	return product{id: id, name: first[1], price: first[2]}
}

// choose selects the option of the select sel whose label is label.
func (u *User) choose(sel, label string) {
	u.b.t.Helper()
	chosen := evaluate[bool](u, fmt.Sprintf(`(() => {
		const s = document.querySelector(%q);
		const o = s && Array.from(s.options).find(o => o.textContent.trim() === %q);
		if (!o) return false;
		s.value = o.value;
		return true;
	})()`, sel, label))
	if !chosen {
		u.fail("choose "+label, fmt.Errorf("%s has no option %q", sel, label))
	}
}

// addToBasket presses the product's "Add to basket" on the catalog page.
func (u *User) addToBasket(p product) {
	u.b.t.Helper()
	u.Submit("add "+p.name+" to the basket", fmt.Sprintf(`article.product[data-product-id="%d"] form[action="/basket/items"] button`, p.id))
	if notice := u.Text("main"); !strings.Contains(notice, p.name) {
		u.fail("add "+p.name, fmt.Errorf("the page does not mention it: %s", notice))
	}
}

// lowerPrice returns a price 10 % below the editor's value (a JSON string,
// e.g. "44.00"), with two decimals.
func lowerPrice(t *testing.T, raw string) string {
	t.Helper()
	old, err := strconv.ParseFloat(strings.Trim(raw, `"$ `), 64)
	if err != nil || old <= 1 {
		t.Fatalf("the editor's price %s is not a price: %v", raw, err)
	}
	return strconv.FormatFloat(float64(int(old*90))/100, 'f', 2, 64)
}

// eventually calls check every half second until it is true, and fails
// the test with a screenshot after browserPatience.
func eventually(t *testing.T, u *User, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(browserPatience)
	for !check() {
		if time.Now().After(deadline) {
			u.fail("wait for "+what, fmt.Errorf("not within %s", browserPatience))
		}
		time.Sleep(500 * time.Millisecond)
	}
}
