package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium (make deps installs it) from Go
// with chromedp. A test that needs the browser fails when there is none: it
// never skips.

// browserPatience bounds each step of a browser test: a page to load, an
// element to appear, a status to arrive.
const browserPatience = 60 * time.Second

// Browser is one headless Chromium, with a fresh profile, for one test.
// Each user of the test (NewUser) gets a browser context of their own: their
// own cookies and storage, as two people on two machines. Screenshots go to
// tmp/screenshots/<Test>/ at the root of the repository, numbered in the
// order they were taken, that folder being emptied when the test starts.
type Browser struct {
	t   testing.TB
	ctx context.Context
	// Screenshots is the folder of the test's screenshots.
	Screenshots string

	mu   sync.Mutex
	shot int
}

// chromiumFlags are Chromium's flags for tests on a machine with no display
// and a closed network: no sandbox (tests may run as root), no GPU, and
// none of the background connections to Google's services.
var chromiumFlags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run", "no-default-browser-check",
	"disable-background-networking", "disable-component-update", "disable-sync", "hide-scrollbars", "mute-audio",
}

// chromium returns the path of the Chromium binary: $CHROMIUM, or chromium
// on the PATH. The test fails without one.
func chromium(t testing.TB) string {
	t.Helper()
	name := os.Getenv("CHROMIUM")
	if name == "" {
		name = "chromium"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("the browser tests need Chromium, and there is no %q: run make deps (it installs Debian's chromium), or set CHROMIUM to the binary (%v)", name, err)
	}
	return path
}

// StartBrowser starts Chromium for test t; it stops when the test ends.
func StartBrowser(t testing.TB) *Browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 860),
	}
	for _, f := range chromiumFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Do starts the browser, which lives as long as the context
	// Do gets: this one, not one with a deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	dir := filepath.Join("..", "..", "tmp", "screenshots", fileName(t.Name()))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	t.Logf("screenshots: %s", abs)
	return &Browser{t: t, ctx: ctx, Screenshots: abs}
}

var unsafeInFileName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileName turns a test or step name into a file name.
func fileName(s string) string {
	return strings.Trim(unsafeInFileName.ReplaceAllString(s, "-"), "-")
}

// User is one person at the browser: a tab in a browser context of their
// own. Its methods fail the test, with a screenshot, when a step fails.
type User struct {
	b    *Browser
	name string
	ctx  context.Context
}

// NewUser opens a tab for name in a new browser context.
func (b *Browser) NewUser(name string) *User {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	// As in StartBrowser, the first Do opens the tab for as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("%s: open a tab: %v", name, err)
	}
	return &User{b: b, name: name, ctx: ctx}
}

// Do runs the actions as one step, described by what; the test fails when
// one fails or the step takes longer than browserPatience.
func (u *User) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	u.b.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, browserPatience)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		u.fail(what, err)
	}
}

// Go opens url.
func (u *User) Go(url string) {
	u.b.t.Helper()
	u.Do("open "+url, chromedp.Navigate(url))
}

// Submit clicks the submit button sel and waits for the page it loads.
func (u *User) Submit(what, sel string) {
	u.b.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, browserPatience)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		u.fail(what, err)
	}
}

// Text returns the text of the first element sel matches, once it is there.
func (u *User) Text(sel string) string {
	u.b.t.Helper()
	return runStep(u, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// evaluate evaluates a JavaScript expression in u's page and returns its
// value as a T (decoded from JSON).
func evaluate[T any](u *User, expr string) T {
	u.b.t.Helper()
	return runStep(u, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// WaitUntil waits until the JavaScript expression cond is true in the page
// that is open now. It fails when the page navigates meanwhile: what it
// waits for must happen in this document.
func (u *User) WaitUntil(what, cond string) {
	u.b.t.Helper()
	runStep(u, what, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(browserPatience)))
}

func runStep[T any](u *User, what string, a chromedp.Action[T]) T {
	u.b.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, browserPatience)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		u.fail(what, err)
	}
	return v
}

// Screenshot writes what the user sees now to the test's folder as
// NN-user-step.png.
func (u *User) Screenshot(step string) {
	u.b.t.Helper()
	if err := u.screenshot(step); err != nil {
		u.b.t.Fatalf("%s: screenshot %q: %v", u.name, step, err)
	}
}

func (u *User) screenshot(step string) error {
	ctx, cancel := context.WithTimeout(u.ctx, browserPatience)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	u.b.mu.Lock()
	u.b.shot++
	n := u.b.shot
	u.b.mu.Unlock()
	return os.WriteFile(filepath.Join(u.b.Screenshots, fmt.Sprintf("%02d-%s-%s.png", n, fileName(u.name), fileName(step))), png, 0o644)
}

// fail stops the test at a failed step, with a screenshot of the page and
// where it was.
func (u *User) fail(what string, err error) {
	u.b.t.Helper()
	where := ""
	ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
	defer cancel()
	if loc, lerr := chromedp.Run(ctx, chromedp.Location()); lerr == nil {
		where = " at " + loc
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("not within %s: %w", browserPatience, err)
	}
	if serr := u.screenshot("FAILED " + what); serr != nil {
		u.b.t.Logf("no screenshot of the failure: %v", serr)
	}
	u.b.t.Fatalf("%s: %s%s: %v", u.name, what, where, err)
}

// sendKeys types v into the field sel.
func sendKeys(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), v)
}
