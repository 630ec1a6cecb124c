package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
)

// The catalog grid: the filter form, a product card per item with its
// picture and price, and no basket form for a visitor who is not signed in.
func TestCatalogShowsTheGridAndFilters(t *testing.T) {
	s := newShop(t)
	p := s.browser().get("/", 200)
	p.has(t, `<form id="filters" method="get" action="/">`, `<select id="brand" name="brand">`, `<option value="">All</option>`,
		`<label for="type">Type</label>`, `<input id="name" name="name" type="search" value="">`, `<button type="submit">Filter</button>`,
		`<article class="product" data-product-id="1">`, `<img alt="Alder Daypack 22" src="/pics/1"`,
		`<a href="/items/1">Alder Daypack 22</a>`, `<span class="price">10.00</span>`, `<a id="signin" href="/signin">Sign in</a>`)
	p.hasNot(t, "Add to basket", `rel="prev"`, `rel="next"`)
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") ||
		!strings.Contains(csp, "connect-src 'self' http://payment.test:8084") || !strings.Contains(csp, "form-action 'self' http://identity.test") {
		t.Fatalf("Content-Security-Policy: %s", csp)
	}

	signedIn := s.signedIn("alice").get("/?name=bir&brand=1", 200)
	signedIn.has(t, `<input id="name" name="name" type="search" value="bir">`, `<option value="1" selected>Alder</option>`,
		`data-product-id="2"`, `<input type="hidden" name="productId" value="2">`, "Add to basket", `<span id="user-name">Alice Smith</span>`,
		`<form id="signout" method="post" action="/signout">`)
	signedIn.hasNot(t, `data-product-id="1"`)
}

func TestCatalogPages(t *testing.T) {
	s := newShop(t)
	s.apis.set(func(f *fakeAPIs) {
		for id := int64(10); id < 30; id++ {
			f.items[id] = shopapi.Item{ID: id, Name: "Zed " + string(rune('A'+id-10)), Price: money.FromCents(100)}
		}
	})
	b := s.browser()
	first := b.get("/", 200)
	first.has(t, `<a rel="next" href="/?page=1">`, "Page 1 of 2")
	first.hasNot(t, `rel="prev"`)
	second := b.get("/?page=1", 200)
	second.has(t, `<a rel="prev" href="/?page=0">`, "Page 2 of 2")
	second.hasNot(t, `rel="next"`)
	for _, bad := range []string{"/?page=-1", "/?page=x", "/?brand=abc", "/?type=0"} {
		b.get(bad, 400)
	}
}

// A product name is text, wherever it is shown: a hostile one is escaped.
func TestAHostileProductNameIsEscaped(t *testing.T) {
	const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	s := newShop(t)
	s.apis.set(func(f *fakeAPIs) {
		it := f.items[1]
		it.Name = hostile
		f.items[1] = it
		f.baskets["alice"] = []shopapi.BasketItem{{ProductID: 1, ProductName: hostile, UnitPrice: money.FromCents(100), Quantity: 1}}
	})
	b := s.signedIn("alice")
	for _, path := range []string{"/", "/items/1", "/basket"} {
		p := b.get(path, 200)
		p.hasNot(t, hostile, "<script>alert", "<img src=x")
		p.has(t, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	}
	// The page has no inline script and no inline style.
	p := b.get("/", 200)
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(p.body, -1) {
		if !strings.Contains(tag, `src="/static/`) {
			t.Fatalf("an inline script: %s", tag)
		}
	}
	p.hasNot(t, "style=", "<style")
}

func TestItemPage(t *testing.T) {
	s := newShop(t)
	s.browser().get("/items/1", 200).has(t, "<h1>Alder Daypack 22</h1>", `<span class="price">10.00</span>`, `<a href="/signin">Sign in</a> to buy it.`)
	buyer := s.signedIn("alice").get("/items/1", 200)
	buyer.has(t, `<form method="post" action="/basket/items">`, `<input type="hidden" name="productId" value="1">`)
	buyer.hasNot(t, "/admin/items/1")
	s.signedIn("admin").get("/items/1", 200).has(t, `<a href="/admin/items/1">Edit</a>`)
	s.browser().get("/items/99", 404)
	s.browser().get("/items/abc", 404)
	s.signedIn("alice").get("/no/such/page", 404).has(t, "There is no page at this address.", `<span id="user-name">Alice Smith</span>`)
}

// pictureCSP is the fake catalog's Content-Security-Policy of a picture.
const pictureCSP = "default-src 'none'; style-src 'unsafe-inline'"

// A picture comes through the webapp with catalog's headers, its
// Content-Security-Policy among them: an SVG opened on the storefront's
// origin may run no script and load nothing, as on catalog's.
func TestPicturesComeThroughTheWebapp(t *testing.T) {
	s := newShop(t)
	p := s.browser().get("/pics/2", 200)
	if p.header.Get("Content-Type") != "image/svg+xml" || p.header.Get("Cache-Control") == "" || !strings.Contains(p.body, "<title>2</title>") {
		t.Fatalf("picture: %v %s", p.header, p.body)
	}
	if got := p.header.Values("Content-Security-Policy"); len(got) != 1 || got[0] != pictureCSP {
		t.Errorf("picture's Content-Security-Policy %q, want catalog's %q alone", got, pictureCSP)
	}
	s.browser().get("/pics/99", 404)
}

// A page that needs a user sends the visitor to sign in, and the sign-in
// comes back to it.
func TestSignInComesBackToThePage(t *testing.T) {
	s := newShop(t)
	b := s.browser()
	for _, path := range []string{"/basket", "/checkout", "/orders", "/orders/1", "/admin/items/1"} {
		p := b.get(path, 303)
		if want := "/signin?returnTo=" + url.QueryEscape(path); p.header.Get("Location") != want {
			t.Fatalf("%s: Location %q, want %q", path, p.header.Get("Location"), want)
		}
	}
	if loc := b.get("/signin?returnTo=/orders", 302).header.Get("Location"); !strings.HasPrefix(loc, fakeIdentity+"/authorize") {
		t.Fatalf("GET /signin: Location %s", loc)
	}
	if loc := b.get("/signin-oidc?as=alice", 303).header.Get("Location"); loc != "/orders" {
		t.Fatalf("the callback: Location %s, want /orders", loc)
	}
	b.get("/orders", 200).has(t, `<span id="user-name">Alice Smith</span>`)
	// A return address elsewhere is not followed.
	b.get("/signin?returnTo=//evil.example/x", 302)
	if loc := b.get("/signin-oidc?as=alice", 303).header.Get("Location"); loc != "/" {
		t.Fatalf("returnTo //evil.example: Location %s, want /", loc)
	}
	// A failed callback shows an error.
	b.get("/signin", 302)
	b.get("/signin-oidc?as=nobody", 400).has(t, "The sign-in did not complete")
}

func TestSignOut(t *testing.T) {
	s := newShop(t)
	b := s.signedIn("alice")
	if loc := b.post("/signout", nil, 303).header.Get("Location"); loc != fakeIdentity+"/end_session" {
		t.Fatalf("sign-out: Location %s", loc)
	}
	b.get("/signout-callback-oidc", 303)
	p := b.get("/", 200)
	p.has(t, `<a id="signin" href="/signin">Sign in</a>`, "You are signed out.")
	b.get("/basket", 303)
}

func TestAddToBasketReadsAndWritesTheBuyersBasket(t *testing.T) {
	s := newShop(t)
	b := s.signedIn("alice")
	for _, id := range []string{"1", "2", "1"} {
		p := b.post("/basket/items", url.Values{"productId": {id}}, 303)
		if p.header.Get("Location") != "/" {
			t.Fatalf("after adding: Location %s, want the page it came from", p.header.Get("Location"))
		}
	}
	lines := s.apis.basketOf("alice")
	if len(lines) != 2 || lines[0].ProductID != 1 || lines[0].Quantity != 2 || lines[1].ProductID != 2 || lines[1].Quantity != 1 ||
		lines[0].ProductName != "Alder Daypack 22" || !lines[0].UnitPrice.Equal(money.FromCents(1000)) || lines[0].PictureURL != "/pics/1" {
		t.Fatalf("basket = %+v", lines)
	}
	p := b.get("/", 200)
	p.has(t, "Added Alder Daypack 22 to your basket.", `<span class="count" aria-label="3 items">3</span>`)
	if len(s.apis.basketOf("bob")) != 0 {
		t.Fatal("bob's basket changed")
	}
	b.post("/basket/items", url.Values{"productId": {"99"}}, 404)
	b.post("/basket/items", url.Values{"productId": {"x"}}, 400)
	if got := s.apis.basketOf("alice"); len(got) != 2 {
		t.Fatalf("a bad add changed the basket: %+v", got)
	}
	// Not signed in: to the sign-in, nothing added.
	s.browser().post("/basket/items", url.Values{"productId": {"1"}}, 303)
}

func TestBasketPageShowsThePriceChangeAndEditsLines(t *testing.T) {
	s := newShop(t)
	old := money.MustParse("64.00")
	s.apis.set(func(f *fakeAPIs) {
		f.baskets["alice"] = []shopapi.BasketItem{
			{ProductID: 1, ProductName: "Alder Daypack 22", UnitPrice: money.MustParse("65.00"), OldUnitPrice: &old, Quantity: 2},
			{ProductID: 2, ProductName: "Birch Bottle", UnitPrice: money.MustParse("20.00"), Quantity: 1},
		}
	})
	b := s.signedIn("alice")
	p := b.get("/basket", 200)
	p.has(t, `<tr class="basket-line" data-product-id="1">`, `<p class="price-notice" role="status">Price changed: was 64.00 → now 65.00</p>`,
		`<form method="post" action="/basket/items/1">`, `name="quantity" type="number"`, `<button>Update</button>`,
		`<form method="post" action="/basket/items/2/remove"><button>Remove</button></form>`,
		`<a id="checkout-link" class="button" href="/checkout">Checkout</a>`, `<span class="total">150.00</span>`)
	if strings.Count(p.body, "price-notice") != 1 {
		t.Fatal("a notice on a line whose price did not change")
	}

	b.post("/basket/items/2", url.Values{"quantity": {"3"}}, 303)
	b.post("/basket/items/1/remove", nil, 303)
	if lines := s.apis.basketOf("alice"); len(lines) != 1 || lines[0].ProductID != 2 || lines[0].Quantity != 3 {
		t.Fatalf("basket = %+v", lines)
	}
	for _, q := range []string{"0", "1001", "x", ""} {
		b.post("/basket/items/2", url.Values{"quantity": {q}}, 400)
	}
	b.post("/basket/items/7", url.Values{"quantity": {"1"}}, 404)
	if lines := s.apis.basketOf("alice"); len(lines) != 1 || lines[0].Quantity != 3 {
		t.Fatalf("bad edits changed the basket: %+v", lines)
	}
}

// Every POST is refused when the browser says it comes from another site.
func TestACrossSitePostIsRefused(t *testing.T) {
	s := newShop(t)
	b := s.signedIn("alice")
	for _, header := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "http://evil.example", "Sec-Fetch-Site", ""},
	} {
		for _, path := range []string{"/basket/items", "/checkout", "/signout", "/admin/items/1"} {
			b.post(path, url.Values{"productId": {"1"}, "city": {"x"}, "paymentToken": {"t"}}, 403, header...).has(t, "sent from another site")
		}
	}
	if len(s.apis.basketOf("alice")) != 0 || len(s.apis.checkouts) != 0 {
		t.Fatal("a cross-site post changed something")
	}
	b.get("/basket", 200) // still signed in
}

func TestCheckout(t *testing.T) {
	s := newShop(t)
	s.apis.set(func(f *fakeAPIs) {
		f.baskets["alice"] = []shopapi.BasketItem{{ProductID: 1, ProductName: "Alder Daypack 22", UnitPrice: money.MustParse("64.00"), Quantity: 2}}
	})
	b := s.signedIn("alice")
	form := b.get("/checkout", 200)
	form.has(t, `<form id="checkout" method="post" action="/checkout" data-payment-url="http://payment.test:8084" data-buyer-id="alice">`,
		`<input id="street" name="street"`, `<input id="zipCode" name="zipCode"`,
		`<input id="cardNumber" inputmode="numeric"`, `<input id="cardSecurityNumber" inputmode="numeric"`, `<input id="cardExpiration" placeholder="MM/YY"`,
		`<select id="cardTypeId" name="cardTypeId"><option value="1">Amex</option><option value="2">Visa</option></select>`,
		`<script src="/static/checkout.js" defer></script>`, `<button type="submit">Place order</button>`, "128.00")
	// The card number and the security code have no name: the browser
	// never posts them to the webapp.
	for _, id := range []string{"cardNumber", "cardSecurityNumber"} {
		tag := regexp.MustCompile(`<input id="` + id + `"[^>]*>`).FindString(form.body)
		if tag == "" || strings.Contains(tag, "name=") {
			t.Fatalf("the %s input: %q", id, tag)
		}
	}
	requestID := regexp.MustCompile(`name="requestId" value="([^"]+)"`).FindStringSubmatch(form.body)[1]

	good := url.Values{"requestId": {requestID}, "street": {"1 Main St"}, "city": {"Springfield"}, "state": {"OR"}, "country": {"US"}, "zipCode": {"97403"},
		"paymentToken": {"v1.abc.def"}, "cardLast4": {"1881"}, "cardHolderName": {"Alice Smith"}, "cardExpiration": {"2030-12-31T23:59:59Z"}, "cardTypeId": {"2"}}
	withoutToken := url.Values{}
	for k, v := range good {
		withoutToken[k] = v
	}
	withoutToken.Del("paymentToken")
	b.post("/checkout", withoutToken, 400).has(t, `<p class="error" role="alert">The card was not tokenized by payment`, `value="Springfield"`)
	noCity := url.Values{}
	for k, v := range good {
		noCity[k] = v
	}
	noCity.Set("city", "")
	b.post("/checkout", noCity, 400).has(t, `<p class="error" role="alert">city is required</p>`)
	if len(s.apis.checkouts) != 0 {
		t.Fatalf("refused checkouts reached basket: %+v", s.apis.checkouts)
	}

	p := b.post("/checkout", good, 303)
	if p.header.Get("Location") != "/orders" {
		t.Fatalf("after the checkout: Location %s", p.header.Get("Location"))
	}
	if len(s.apis.checkouts) != 1 {
		t.Fatalf("%d checkouts", len(s.apis.checkouts))
	}
	c := s.apis.checkouts[0]
	if c.BuyerID != "alice" || c.RequestID != requestID || c.Token != "token-alice" || c.Body.Buyer != "Alice Smith" ||
		c.Body.PaymentToken != "v1.abc.def" || c.Body.CardTypeID != 2 || c.Body.City != "Springfield" || c.Body.CardExpiration != "2030-12-31T23:59:59Z" {
		t.Fatalf("checkout = %+v", c)
	}

	s.apis.set(func(f *fakeAPIs) { f.baskets["alice"] = nil })
	if loc := b.get("/checkout", 303).header.Get("Location"); loc != "/basket" {
		t.Fatalf("checkout of an empty basket: Location %s", loc)
	}
}

func TestOrdersPages(t *testing.T) {
	s := newShop(t)
	s.apis.set(func(f *fakeAPIs) {
		f.orders["alice"] = []shopapi.Order{{OrderNumber: 7, Date: time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC), Status: "AwaitingValidation",
			Street: "1 Main St", City: "Springfield", OrderItems: []shopapi.OrderItem{{ProductID: 1, ProductName: "Alder Daypack 22", UnitPrice: money.MustParse("64.00"), Units: 2}},
			Total: money.MustParse("128.00")}}
	})
	b := s.signedIn("alice")
	list := b.get("/orders", 200)
	list.has(t, `<tr class="order" data-order-number="7">`, `<a href="/orders/7">#7</a>`, `<span class="order-status">AwaitingValidation</span>`,
		`<script src="/static/live.js" defer></script>`, `<tbody id="order-rows">`)
	detail := b.get("/orders/7", 200)
	detail.has(t, `<span id="order-status" aria-live="polite">AwaitingValidation</span>`, `data-order-number="7"`, "Alder Daypack 22", "128.00")
	b.get("/orders/8", 404)
	s.signedIn("bob").get("/orders/7", 404)
	s.signedIn("bob").get("/orders", 200).has(t, "You have no orders yet.")
}

func TestAnAPIThatIsDownGivesA502Page(t *testing.T) {
	s := newShop(t)
	b := s.signedIn("alice")
	s.apis.set(func(f *fakeAPIs) { f.down = true })
	for _, path := range []string{"/", "/items/1", "/basket", "/orders", "/checkout"} {
		b.get(path, 502).has(t, "Part of the shop is not answering", `<a href="/basket">Basket`)
	}
	b.post("/basket/items", url.Values{"productId": {"1"}}, 502)
}

// An API that cannot be reached at all is the same 502.
func TestAnUnreachableAPIGivesA502Page(t *testing.T) {
	s := newShopOver(t, nil, "http://127.0.0.1:1")
	s.browser().get("/", 502)
	s.signedIn("alice").get("/basket", 502)
}

// The pictures and the static files load no session: a page loads many at
// once, and each would save the session it loaded when it ends, however
// long after a sign-out. They set no cookie, even for a signed-in browser.
func TestPicturesAndStaticFilesLoadNoSession(t *testing.T) {
	s := newShop(t)
	alice := s.signedIn("alice")
	for _, path := range []string{"/pics/2", "/static/style.css", "/pics/99", "/pics/x"} {
		p := alice.get(path, map[bool]int{true: 200, false: 404}[path == "/pics/2" || path == "/static/style.css"])
		if cookie := p.header.Get("Set-Cookie"); cookie != "" {
			t.Errorf("GET %s set a cookie: the session was loaded and saved", path)
		}
	}
}
