package live_test

import (
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/services/webapp/internal/live"
)

// drain returns what s holds now.
func drain(s *live.Subscription) []live.StatusChange {
	var out []live.StatusChange
	for {
		select {
		case c, ok := <-s.Changes:
			if !ok {
				return out
			}
			out = append(out, c)
		default:
			return out
		}
	}
}

func TestAChangeReachesItsBuyersSubscriptionsOnly(t *testing.T) {
	var h live.Hub
	a1, a2, b := h.Subscribe("alice", time.Time{}), h.Subscribe("alice", time.Time{}), h.Subscribe("bob", time.Time{})
	h.Show("alice", live.StatusChange{OrderNumber: 1, Status: "Paid"})
	for _, s := range []*live.Subscription{a1, a2} {
		if got := drain(s); len(got) != 1 || got[0].OrderNumber != 1 {
			t.Fatalf("alice's subscription got %v", got)
		}
	}
	if got := drain(b); len(got) != 0 {
		t.Fatalf("bob's subscription got %v", got)
	}
	h.Unsubscribe(a1)
	h.Unsubscribe(a1) // twice: harmless
	h.Show("alice", live.StatusChange{OrderNumber: 2, Status: "Shipped"})
	if got := drain(a2); len(got) != 1 || got[0].OrderNumber != 2 {
		t.Fatalf("the open subscription got %v", got)
	}
}

// A page subscribing after it read its orders gets the changes since.
func TestASubscriptionStartsWithTheChangesSinceThePageWasRead(t *testing.T) {
	var h live.Hub
	h.Show("alice", live.StatusChange{OrderNumber: 1, Status: "Submitted"})
	read := time.Now()
	time.Sleep(2 * time.Millisecond) // a later change has a later time
	h.Show("alice", live.StatusChange{OrderNumber: 1, Status: "AwaitingValidation"})
	h.Show("bob", live.StatusChange{OrderNumber: 9, Status: "Paid"})
	got := drain(h.Subscribe("alice", read))
	if len(got) != 1 || got[0].Status != "AwaitingValidation" {
		t.Fatalf("replayed %v, want the change after the read only", got)
	}
	if got := drain(h.Subscribe("alice", time.Time{})); len(got) != 0 {
		t.Fatalf("a subscription without since replayed %v", got)
	}
}

func TestCloseEndsTheSubscriptions(t *testing.T) {
	var h live.Hub
	s := h.Subscribe("alice", time.Time{})
	h.Close()
	if _, open := <-s.Changes; open {
		t.Fatal("a change after Close")
	}
	if _, open := <-h.Subscribe("alice", time.Time{}).Changes; open {
		t.Fatal("a subscription after Close is open")
	}
	h.Unsubscribe(s)
	h.Show("alice", live.StatusChange{OrderNumber: 1, Status: "Paid"}) // no panic
}
