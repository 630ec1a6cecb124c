package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/webapp/internal/live"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin"
	"github.com/eshop-go/eshop-go/services/webapp/internal/web"
	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
)

// fakeAPIs is the catalog, basket and ordering APIs in one test server:
// the state a test sets and what the webapp sent.
type fakeAPIs struct {
	t  testing.TB
	mu sync.Mutex

	items     map[int64]shopapi.Item
	versions  map[int64]int
	baskets   map[string][]shopapi.BasketItem
	orders    map[string][]shopapi.Order
	checkouts []checkoutCall
	puts      int  // catalog PUTs that changed an item
	down      bool // every call answers 503
	tokens    []string
}

type checkoutCall struct {
	BuyerID, RequestID, Token string
	Body                      shopapi.Checkout
}

func newFakeAPIs(t testing.TB) (*fakeAPIs, *httptest.Server) {
	f := &fakeAPIs{t: t, items: map[int64]shopapi.Item{}, versions: map[int64]int{},
		baskets: map[string][]shopapi.BasketItem{}, orders: map[string][]shopapi.Order{}}
	for i, name := range []string{"Alder Daypack 22", "Birch Bottle", "Cedar Cap"} {
		id := int64(i + 1)
		f.items[id] = shopapi.Item{ID: id, Name: name, Description: "A thing.", Price: money.FromCents(int64(1000 * (i + 1))), CatalogTypeID: 1, CatalogBrandID: 1, AvailableStock: 10}
		f.versions[id] = 1
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAPIs) problem(w http.ResponseWriter, status int, detail string) {
	httpapi.Fail(w, status, detail)
}

// ServeHTTP answers the few routes of the three APIs the webapp calls.
func (f *fakeAPIs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		f.problem(w, http.StatusServiceUnavailable, "down")
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token != "" {
		f.tokens = append(f.tokens, token)
	}
	path := r.URL.Path
	switch {
	case path == "/openapi.yaml":
		w.Header().Set("Content-Type", "application/yaml")
		io.WriteString(w, fakeOpenAPI)
	case path == "/api/catalog/items" && r.Method == http.MethodGet:
		f.listItems(w, r)
	case path == "/api/catalog/catalogbrands":
		httpapi.WriteJSON(w, 200, []shopapi.Brand{{ID: 1, Brand: "Alder"}, {ID: 2, Brand: "Birch"}})
	case path == "/api/catalog/catalogtypes":
		httpapi.WriteJSON(w, 200, []shopapi.Type{{ID: 1, Type: "Bag"}, {ID: 2, Type: "Bottle"}})
	case strings.HasPrefix(path, "/api/catalog/items/"):
		f.item(w, r, strings.TrimPrefix(path, "/api/catalog/items/"), token)
	case strings.HasPrefix(path, "/api/basket/"):
		f.basket(w, r, strings.TrimPrefix(path, "/api/basket/"), token)
	case path == "/api/orders/cardtypes":
		httpapi.WriteJSON(w, 200, []shopapi.CardType{{ID: 1, Name: "Amex"}, {ID: 2, Name: "Visa"}})
	case strings.HasPrefix(path, "/api/orders/"):
		f.order(w, r, strings.TrimPrefix(path, "/api/orders/"), token)
	default:
		f.problem(w, 404, "no route "+path)
	}
}

func (f *fakeAPIs) listItems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var all []shopapi.Item
	for _, it := range f.items {
		if n := q.Get("name"); n != "" && !strings.HasPrefix(strings.ToLower(it.Name), strings.ToLower(n)) {
			continue
		}
		if b := q.Get("brand"); b != "" && b != strconv.FormatInt(it.CatalogBrandID, 10) {
			continue
		}
		all = append(all, it)
	}
	slices.SortFunc(all, func(a, b shopapi.Item) int { return strings.Compare(a.Name, b.Name) })
	index, _ := strconv.Atoi(q.Get("pageIndex"))
	size, _ := strconv.Atoi(q.Get("pageSize"))
	if size < 1 || size > 100 {
		f.problem(w, 400, "pageSize must be 1..100")
		return
	}
	page := all[min(index*size, len(all)):min((index+1)*size, len(all))]
	httpapi.WriteJSON(w, 200, shopapi.ItemPage{PageIndex: index, PageSize: size, Count: len(all), Data: page})
}

func (f *fakeAPIs) item(w http.ResponseWriter, r *http.Request, rest, token string) {
	idText, pic := strings.CutSuffix(rest, "/pic")
	id, _ := strconv.ParseInt(idText, 10, 64)
	it, ok := f.items[id]
	switch {
	case !ok:
		f.problem(w, 404, "no item")
	case pic:
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("Content-Security-Policy", pictureCSP)
		fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg"><title>%d</title></svg>`, id)
	case r.Method == http.MethodGet:
		w.Header().Set("ETag", strconv.Quote(strconv.Itoa(f.versions[id])))
		httpapi.WriteJSON(w, 200, it)
	case r.Method == http.MethodPut:
		if token != "token-admin" {
			f.problem(w, 403, "this needs the admin role")
			return
		}
		if r.Header.Get("If-Match") != strconv.Quote(strconv.Itoa(f.versions[id])) {
			f.problem(w, 412, "the item changed")
			return
		}
		var in shopapi.Item
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			f.problem(w, 400, err.Error())
			return
		}
		in.ID = id
		f.items[id], f.versions[id] = in, f.versions[id]+1
		f.puts++
		w.Header().Set("ETag", strconv.Quote(strconv.Itoa(f.versions[id])))
		httpapi.WriteJSON(w, 200, in)
	}
}

func (f *fakeAPIs) basket(w http.ResponseWriter, r *http.Request, rest, token string) {
	buyer, checkout := strings.CutSuffix(rest, "/checkout")
	if token != "token-"+buyer {
		f.problem(w, 403, "another buyer's basket")
		return
	}
	switch {
	case checkout:
		var c shopapi.Checkout
		_ = json.NewDecoder(r.Body).Decode(&c)
		if c.City == "" {
			f.problem(w, 400, "city is required")
			return
		}
		f.checkouts = append(f.checkouts, checkoutCall{BuyerID: buyer, RequestID: r.Header.Get("x-requestid"), Token: token, Body: c})
		httpapi.WriteJSON(w, 202, map[string]string{"requestId": r.Header.Get("x-requestid")})
	case r.Method == http.MethodPut:
		var in struct{ Items []shopapi.BasketItem }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			f.problem(w, 400, err.Error())
			return
		}
		f.baskets[buyer] = in.Items
		httpapi.WriteJSON(w, 200, shopapi.Basket{BuyerID: buyer, Items: in.Items})
	default:
		httpapi.WriteJSON(w, 200, shopapi.Basket{BuyerID: buyer, Items: f.baskets[buyer]})
	}
}

func (f *fakeAPIs) order(w http.ResponseWriter, r *http.Request, rest, token string) {
	buyer := strings.TrimPrefix(token, "token-")
	if rest == "" {
		var list []shopapi.OrderSummary
		for _, o := range f.orders[buyer] {
			list = append(list, shopapi.OrderSummary{OrderNumber: o.OrderNumber, Date: o.Date, Status: o.Status, Total: o.Total})
		}
		httpapi.WriteJSON(w, 200, list)
		return
	}
	n, _ := strconv.ParseInt(rest, 10, 64)
	for _, o := range f.orders[buyer] {
		if o.OrderNumber == n {
			httpapi.WriteJSON(w, 200, o)
			return
		}
	}
	f.problem(w, 404, "no order")
}

// basketOf returns a copy of the buyer's basket lines.
func (f *fakeAPIs) basketOf(buyer string) []shopapi.BasketItem {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.baskets[buyer])
}

func (f *fakeAPIs) set(change func(f *fakeAPIs)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// fakeAccounts signs in whoever the callback names (?as=alice), with the
// access token "token-<sub>": the web layer's view of package signin.
type fakeAccounts struct{ sessions *scs.SessionManager }

const fakeIdentity = "http://identity.test"

var users = map[string]signin.User{
	"alice": {Subject: "alice", Name: "Alice Smith"},
	"bob":   {Subject: "bob", Name: "Bob Jones"},
	"admin": {Subject: "admin", Name: "Administrator", Roles: []string{"admin"}},
}

func (a fakeAccounts) Begin(ctx context.Context, returnTo string) (string, error) {
	a.sessions.Put(ctx, "returnTo", returnTo)
	return fakeIdentity + "/authorize?client_id=webapp", nil
}

func (a fakeAccounts) Complete(ctx context.Context, q url.Values) (string, error) {
	u, ok := users[q.Get("as")]
	if !ok {
		return "", fmt.Errorf("no user %q", q.Get("as"))
	}
	a.sessions.Put(ctx, "user", u)
	return a.sessions.PopString(ctx, "returnTo"), nil
}

func (a fakeAccounts) End(ctx context.Context) string {
	a.sessions.Remove(ctx, "user")
	return fakeIdentity + "/end_session"
}

func (a fakeAccounts) User(ctx context.Context) (signin.User, bool) {
	u, ok := a.sessions.Get(ctx, "user").(signin.User)
	return u, ok
}

func (a fakeAccounts) AccessToken(ctx context.Context) (string, error) {
	u, ok := a.User(ctx)
	if !ok {
		return "", signin.ErrSignedOut
	}
	return "token-" + u.Subject, nil
}

// Stream lets a signed-in session open any number of streams, which end
// only when their request does.
func (a fakeAccounts) Stream(ctx context.Context) (<-chan struct{}, func(), error) {
	if _, ok := a.User(ctx); !ok {
		return nil, nil, signin.ErrSignedOut
	}
	return nil, func() {}, nil
}

// shop is the storefront under test, over fake APIs.
type shop struct {
	t    testing.TB
	url  string
	apis *fakeAPIs
	live *live.Hub
}

func newShop(t testing.TB) *shop {
	t.Helper()
	apis, apiSrv := newFakeAPIs(t)
	return newShopOver(t, apis, apiSrv.URL)
}

// newShopOver is the storefront over the APIs at apiURL.
func newShopOver(t testing.TB, apis *fakeAPIs, apiURL string) *shop {
	t.Helper()
	sessions := scs.New()
	sessions.Store = memstore.New()
	sessions.IdleTimeout = time.Hour // as the webapp's: a request that loads the session saves it
	hub := &live.Hub{}
	r := httpapi.NewRouter(slog.New(slog.DiscardHandler))
	web.Mount(r, web.Deps{
		Catalog: shopapi.NewCatalog(apiURL), Basket: shopapi.NewBasket(apiURL), Ordering: shopapi.NewOrdering(apiURL),
		Accounts: fakeAccounts{sessions}, Sessions: sessions, Live: hub,
		PaymentPublicURL: "http://payment.test:8084", IdentityURL: fakeIdentity,
		APIDocs: map[string]string{"catalog": apiURL},
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &shop{t: t, url: srv.URL, apis: apis, live: hub}
}

// browser is one user's browser: its cookies, no redirect followed.
type browser struct {
	t    testing.TB
	shop *shop
	c    *http.Client
}

func (s *shop) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, shop: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signedIn is a browser signed in as user.
func (s *shop) signedIn(user string) *browser {
	b := s.browser()
	b.get("/signin", 302)
	b.get("/signin-oidc?as="+user, 303)
	return b
}

// page is an answer: its status, headers and body.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request, want int) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		b.t.Fatalf("%s %s: %d, want %d\n%s", req.Method, req.URL.Path, res.StatusCode, want, body)
	}
	return page{status: res.StatusCode, header: res.Header, body: string(body)}
}

func (b *browser) get(path string, want int) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.shop.url+path, nil)
	return b.do(req, want)
}

// post posts form to path as a page of the shop would (same origin).
func (b *browser) post(path string, form url.Values, want int, header ...string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.shop.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.shop.url)
	req.Header.Set("Referer", b.shop.url+"/")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req, want)
}

func (p page) has(t testing.TB, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(p.body, f) {
			t.Fatalf("the page lacks %q:\n%s", f, p.body)
		}
	}
}

func (p page) hasNot(t testing.TB, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if strings.Contains(p.body, f) {
			t.Fatalf("the page has %q:\n%s", f, p.body)
		}
	}
}
