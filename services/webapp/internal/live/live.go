// Package live fans the order status changes the webapp hears on the bus
// out to the pages its buyers have open: each page holds a subscription
// (a server-sent events stream, see package web) for its buyer, and a
// change reaches the subscriptions of that buyer only.
//
// It is in-process: every webapp replica consumes the events from its own
// queue, and a change reaches the pages open on the replica that got it
// (see the README: one replica, or sticky sessions and a queue per
// replica).
package live

import "sync"

// StatusChange is an order's new status, as a page shows it.
type StatusChange struct {
	OrderNumber int64  `json:"orderNumber"`
	Status      string `json:"status"`
}

// buffer is how many changes a subscription holds for a page that has not
// read them yet; a page that falls that far behind misses the oldest.
const buffer = 16

// Hub holds the open subscriptions by buyer. Its zero value is ready.
type Hub struct {
	mu     sync.Mutex
	buyers map[string]map[*Subscription]struct{}
	closed bool
}

// Subscription is one page's stream of its buyer's changes.
type Subscription struct {
	// Changes delivers the changes; it is closed when the hub closes.
	Changes <-chan StatusChange
	changes chan StatusChange
	buyer   string
}

// Subscribe opens a subscription to buyerID's changes. The caller ends it
// with Unsubscribe.
func (h *Hub) Subscribe(buyerID string) *Subscription {
	c := make(chan StatusChange, buffer)
	s := &Subscription{Changes: c, changes: c, buyer: buyerID}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(c)
		return s
	}
	if h.buyers == nil {
		h.buyers = map[string]map[*Subscription]struct{}{}
	}
	if h.buyers[buyerID] == nil {
		h.buyers[buyerID] = map[*Subscription]struct{}{}
	}
	h.buyers[buyerID][s] = struct{}{}
	return s
}

// Unsubscribe ends s.
func (h *Hub) Unsubscribe(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.buyers[s.buyer]
	if _, ok := subs[s]; !ok {
		return
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.buyers, s.buyer)
	}
	close(s.changes)
}

// Show hands change to every open subscription of buyerID, without
// waiting: a subscription whose buffer is full misses it.
func (h *Hub) Show(buyerID string, change StatusChange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.buyers[buyerID] {
		select {
		case s.changes <- change:
		default:
		}
	}
}

// Close ends every subscription (their pages' streams end, and their
// browsers reconnect to another instance or after the restart) and refuses
// new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, subs := range h.buyers {
		for s := range subs {
			close(s.changes)
		}
	}
	h.buyers = nil
}
