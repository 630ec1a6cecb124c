package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowserUsersAreSeparate checks the browser helper on a page of its
// own: two users' browser contexts share no cookie, a form posts and loads
// the next page, a JavaScript marker set on a page survives what happens in
// that page and not a reload, and each screenshot is a PNG file in the
// test's folder.
func TestBrowserUsersAreSeparate(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			http.SetCookie(w, &http.Cookie{Name: "who", Value: r.FormValue("who"), Path: "/"})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		who := "nobody"
		if c, err := r.Cookie("who"); err == nil {
			who = c.Value
		}
		fmt.Fprintf(w, `<!doctype html><title>t</title><p id="who">%s</p>
<form method="post"><input id="name" name="who"><button id="go">Go</button></form>`, who)
	}))
	defer site.Close()

	b := StartBrowser(t)
	alice, bob := b.NewUser("alice"), b.NewUser("bob")
	alice.Go(site.URL)
	bob.Go(site.URL)
	alice.Do("type a name", sendKeys("#name", "alice"))
	alice.Submit("post the form", "#go")
	if got := alice.Text("#who"); got != "alice" {
		t.Fatalf("alice's page says %q after her post, want alice", got)
	}
	alice.Screenshot("signed")
	bob.Go(site.URL)
	if got := bob.Text("#who"); got != "nobody" {
		t.Fatalf("bob's page says %q: he shares alice's cookies", got)
	}
	bob.Screenshot("still nobody")

	evaluate[bool](alice, `window.sameDocument = true`)
	alice.WaitUntil("the marker to be there", `window.sameDocument === true`)
	alice.Go(site.URL)
	if evaluate[bool](alice, `window.sameDocument === true`) {
		t.Fatal("the marker survived a navigation")
	}

	shots, err := filepath.Glob(filepath.Join(b.Screenshots, "*.png"))
	if err != nil || len(shots) != 2 {
		t.Fatalf("screenshots %v (%v), want 2", shots, err)
	}
	for _, s := range shots {
		data, err := os.ReadFile(s)
		if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
			t.Fatalf("%s is not a PNG (%v)", s, err)
		}
	}
	if !strings.Contains(filepath.Base(shots[0]), "01-alice-signed") {
		t.Fatalf("first screenshot %s, want 01-alice-signed.png", shots[0])
	}
}
