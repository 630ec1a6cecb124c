package web_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/services/webapp/internal/live"
)

// stream is an open GET /events of one browser.
type stream struct {
	lines chan string
}

func (b *browser) events(t *testing.T) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.shop.url+"/events", nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &stream{lines: make(chan string, 100)}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// next returns the next event's data.
func (s *stream) next(t *testing.T) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				return data
			}
		case <-timeout:
			t.Fatal("no event within 10 s")
		}
	}
}

// A change reaches the streams of its buyer, and no other buyer's.
func TestTheStreamCarriesTheBuyersChangesOnly(t *testing.T) {
	s := newShop(t)
	alice, bob := s.signedIn("alice").events(t), s.signedIn("bob").events(t)
	aliceAgain := s.signedIn("alice").events(t) // a second tab
	// Each stream subscribed before it answered its headers.

	s.live.Show("bob", live.StatusChange{OrderNumber: 8, Status: "Paid"})
	s.live.Show("alice", live.StatusChange{OrderNumber: 7, Status: "Shipped"})
	for _, st := range []*stream{alice, aliceAgain} {
		if got := st.next(t); got != `{"orderNumber":7,"status":"Shipped"}` {
			t.Fatalf("alice's stream: %s", got)
		}
	}
	if got := bob.next(t); got != `{"orderNumber":8,"status":"Paid"}` {
		t.Fatalf("bob's stream: %s", got)
	}
}

func TestTheStreamNeedsASignedInUser(t *testing.T) {
	s := newShop(t)
	s.browser().get("/events", 401)
}
