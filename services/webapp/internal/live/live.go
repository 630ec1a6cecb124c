// Package live fans the order status changes the webapp hears on the bus
// out to the pages its buyers have open: each page holds a subscription
// (a server-sent events stream, see package web) for its buyer, and a
// change reaches the subscriptions of that buyer only.
//
// A page reads its orders from ordering and then opens its stream: a
// change that arrives in between would be lost. So the hub keeps each
// buyer's recent changes for a while (replayWindow), and a subscription
// starts with those that arrived since the page was read.
//
// It is in-process: every webapp replica consumes the events from its own
// queue, and a change reaches the pages open on the replica that got it
// (see the README: one replica, or sticky sessions and a queue per
// replica).
package live

import (
	"sync"
	"time"
)

// StatusChange is an order's new status, as a page shows it.
type StatusChange struct {
	OrderNumber int64  `json:"orderNumber"`
	Status      string `json:"status"`
}

// buffer is how many changes a subscription holds for a page that has not
// read them yet, and how many recent changes of a buyer the hub keeps; a
// page that falls that far behind misses the oldest.
const buffer = 16

// replayWindow is how long the hub keeps a buyer's changes for the pages
// that subscribe after them.
const replayWindow = 2 * time.Minute

// Hub holds the open subscriptions and the recent changes by buyer. Its
// zero value is ready.
type Hub struct {
	mu        sync.Mutex
	buyers    map[string]map[*Subscription]struct{}
	recent    map[string][]recentChange
	lastSweep time.Time
	closed    bool
}

type recentChange struct {
	at     time.Time
	change StatusChange
}

// Subscription is one page's stream of its buyer's changes.
type Subscription struct {
	// Changes delivers the changes; it is closed when the hub closes.
	Changes <-chan StatusChange
	changes chan StatusChange
	buyer   string
}

// Subscribe opens a subscription to buyerID's changes, starting with those
// the hub got after since (zero: none). The caller ends it with
// Unsubscribe.
func (h *Hub) Subscribe(buyerID string, since time.Time) *Subscription {
	c := make(chan StatusChange, buffer)
	s := &Subscription{Changes: c, changes: c, buyer: buyerID}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(c)
		return s
	}
	for _, r := range h.recent[buyerID] {
		if !since.IsZero() && r.at.After(since) {
			c <- r.change
		}
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
// waiting (a subscription whose buffer is full misses it), and keeps it
// for the subscriptions to come.
func (h *Hub) Show(buyerID string, change StatusChange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	h.forgetOlderThan(now.Add(-replayWindow))
	if h.recent == nil {
		h.recent = map[string][]recentChange{}
	}
	kept := append(h.recent[buyerID], recentChange{at: now, change: change})
	h.recent[buyerID] = kept[max(0, len(kept)-buffer):]
	for s := range h.buyers[buyerID] {
		select {
		case s.changes <- change:
		default:
		}
	}
}

// forgetOlderThan drops the changes kept from before cutoff; it looks at
// every buyer at most once per replayWindow.
func (h *Hub) forgetOlderThan(cutoff time.Time) {
	if h.lastSweep.After(cutoff) {
		return
	}
	h.lastSweep = cutoff.Add(replayWindow)
	for buyer, changes := range h.recent {
		i := 0
		for i < len(changes) && changes[i].at.Before(cutoff) {
			i++
		}
		if i == len(changes) {
			delete(h.recent, buyer)
		} else {
			h.recent[buyer] = changes[i:]
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
