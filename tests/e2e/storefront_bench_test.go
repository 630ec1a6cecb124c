package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The open-loop load of BenchmarkStorefront: requests are sent at a fixed
// rate whether or not the earlier ones have been answered (vegeta), so a
// slow server meets the queue it would meet in production instead of
// slowing the load down; each rate runs for loadDuration after a warm-up.
var (
	loadRates    = []int{50, 150}
	loadDuration = 4 * time.Second
	loadWarmUp   = time.Second
)

// BenchmarkStorefront measures the storefront's catalog page (anonymous:
// a page of items, the brands and the types, rendered) and basket page
// (alice's session: her basket, rendered) under an open-loop load, next to
// the same calls made straight to the APIs (in sequence, as the page makes
// them, bodies read and not rendered). It prints requests/s, mean and p99
// of each, and the storefront's overhead as the ratio of the page's latency
// to the APIs'. Each run does one fixed workload; b.N is not used, and no
// time is asserted.
func BenchmarkStorefront(b *testing.B) {
	ctx := context.Background()
	s := StartShopWithIdentity(b, "LOG_LEVEL=info")
	s.WaitReady(b)

	// alice signs in with the browser and fills her basket; the load then
	// sends her session's cookie.
	alice := StartBrowser(b).NewUser("alice")
	alice.Go(s.Webapp + "/signin")
	signIn(alice, "alice@example.com")
	alice.addToBasket(alice.filter("All", "Tents", 3))
	alice.addToBasket(alice.filter("All", "Footwear", 3))
	session := alice.cookies(s.Webapp)
	buyer := s.SignIn(b, "alice@example.com")
	token, err := buyer.Tokens(ctx)
	if err != nil {
		b.Fatal(err)
	}

	catalog, basket := s.Client.CatalogURL, s.Client.BasketURL
	pages := []struct {
		name   string
		page   vegeta.Target
		direct []vegeta.Target
	}{
		{"catalog", vegeta.Target{Method: "GET", URL: s.Webapp + "/"}, []vegeta.Target{
			{Method: "GET", URL: catalog + "/api/catalog/items?pageIndex=0&pageSize=12"},
			{Method: "GET", URL: catalog + "/api/catalog/catalogbrands"},
			{Method: "GET", URL: catalog + "/api/catalog/catalogtypes"},
		}},
		{"basket", vegeta.Target{Method: "GET", URL: s.Webapp + "/basket", Header: http.Header{"Cookie": {session}}}, []vegeta.Target{
			{Method: "GET", URL: basket + "/api/basket/" + buyer.ID, Header: http.Header{"Authorization": {"Bearer " + token}}},
		}},
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 256}
	defer transport.CloseIdleConnections()
	for i, rate := range loadRates {
		for _, p := range pages {
			// Page first at one rate, the APIs first at the next: a change
			// of the shared machine's load hits both alike.
			var page, direct vegeta.Metrics
			loadPage := func() { page = attack(b, transport, rate, p.page) }
			loadDirect := func() {
				direct = attack(b, &inSequence{calls: p.direct, next: transport}, rate, vegeta.Target{Method: "GET", URL: "http://direct.invalid/"})
			}
			if i%2 == 0 {
				loadPage()
				loadDirect()
			} else {
				loadDirect()
				loadPage()
			}
			ratio := float64(page.Latencies.P99) / float64(direct.Latencies.P99)
			b.Logf("%-7s page at %3d/s: %6.1f req/s, mean %7s, p99 %7s | the same calls straight to the APIs: %6.1f req/s, mean %7s, p99 %7s | storefront overhead: p99 ×%.2f, mean ×%.2f",
				p.name, rate, page.Throughput, page.Latencies.Mean.Round(10*time.Microsecond), page.Latencies.P99.Round(10*time.Microsecond),
				direct.Throughput, direct.Latencies.Mean.Round(10*time.Microsecond), direct.Latencies.P99.Round(10*time.Microsecond),
				ratio, float64(page.Latencies.Mean)/float64(direct.Latencies.Mean))
			if rate == loadRates[len(loadRates)-1] {
				b.ReportMetric(page.Throughput, p.name+"_page_req/s")
				b.ReportMetric(float64(page.Latencies.P99)/1e6, p.name+"_page_p99_ms")
				b.ReportMetric(float64(direct.Latencies.P99)/1e6, p.name+"_api_p99_ms")
				b.ReportMetric(ratio, p.name+"_overhead_p99_x")
			}
		}
	}
}

// attack loads target at rate requests per second (open loop) through rt,
// first for loadWarmUp unmeasured, then for loadDuration, and returns the
// measured figures. A request that gets anything but 200 spoils them: the
// benchmark fails.
func attack(b *testing.B, rt http.RoundTripper, rate int, target vegeta.Target) vegeta.Metrics {
	b.Helper()
	client := &http.Client{Transport: rt, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	pace := vegeta.Rate{Freq: rate, Per: time.Second}
	targets := vegeta.NewStaticTargeter(target)
	// An attacker makes one attack: it stops at the end of it.
	for range vegeta.NewAttacker(vegeta.Client(client)).Attack(targets, pace, loadWarmUp, "warm-up") {
	}
	var m vegeta.Metrics
	for res := range vegeta.NewAttacker(vegeta.Client(client)).Attack(targets, pace, loadDuration, target.URL) {
		m.Add(res)
	}
	m.Close()
	if m.Requests == 0 || m.StatusCodes["200"] != int(m.Requests) {
		b.Errorf("GET %s at %d/s: answers %v, errors %v; want only 200", target.URL, rate, m.StatusCodes, m.Errors)
	}
	return m
}

// inSequence is an http.RoundTripper that answers any request by making
// calls, one after the other, with next: a page's calls, straight to the
// APIs. The answer is the first call's that is not a 200, or the last
// one's.
type inSequence struct {
	calls []vegeta.Target
	next  http.RoundTripper
}

func (s *inSequence) RoundTrip(r *http.Request) (*http.Response, error) {
	for i, c := range s.calls {
		req, err := c.Request()
		if err != nil {
			return nil, err
		}
		res, err := s.next.RoundTrip(req.WithContext(r.Context()))
		if err != nil || res.StatusCode != http.StatusOK || i == len(s.calls)-1 {
			return res, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	return nil, fmt.Errorf("no call to make for %s", r.URL)
}

// cookies returns the browser's cookies for url as a Cookie header.
func (u *User) cookies(url string) string {
	u.b.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, browserPatience)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil || len(res.Cookies) == 0 {
		u.fail("read the cookies of "+url, fmt.Errorf("%d cookies (%v)", len(res.Cookies), err))
	}
	pairs := make([]string, 0, len(res.Cookies))
	for _, c := range res.Cookies {
		pairs = append(pairs, c.Name+"="+c.Value)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "; ")
}
