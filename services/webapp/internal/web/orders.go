package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin"
	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
)

type ordersPage struct{ Orders []shopapi.OrderSummary }

// orders is GET /orders: the buyer's orders as ordering has them now;
// live.js adds new ones and changes statuses as the events arrive.
func (h *handlers) orders(w http.ResponseWriter, r *http.Request) {
	_, token, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	since := time.Now()
	list, err := h.Ordering.Orders(r.Context(), token)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.newPage(r, "Orders", ordersPage{list})
	p.Scripts, p.EventsSince = []string{"live.js"}, since.UnixMilli()
	h.render(w, r, http.StatusOK, "orders", p)
}

// order is GET /orders/{orderNumber}: the order with its current status,
// which live.js keeps current.
func (h *handlers) order(w http.ResponseWriter, r *http.Request) {
	_, token, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	n, ok := h.pathID(w, r, "orderNumber")
	if !ok {
		return
	}
	since := time.Now()
	o, err := h.Ordering.Order(r.Context(), token, n)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.newPage(r, fmt.Sprintf("Order #%d", o.OrderNumber), o)
	p.Scripts, p.OrderNumber, p.EventsSince = []string{"live.js"}, o.OrderNumber, since.UnixMilli()
	h.render(w, r, http.StatusOK, "order", p)
}

// heartbeat is how often an idle stream sends a comment, so that proxies
// keep it open and a closed page is noticed.
const heartbeat = 20 * time.Second

// events is GET /events?since=<Unix ms>: a server-sent events stream of
// the signed-in buyer's order status changes ("status" events, JSON
// {orderNumber, status}), as the webapp hears them on the bus, starting
// with those since the page was read. Only the buyer's own orders: the
// stream is the session's user's.
func (h *handlers) events(w http.ResponseWriter, r *http.Request) {
	u, ok := h.Accounts.User(r.Context())
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		http.Error(w, "sign in to follow your orders", http.StatusUnauthorized)
		return
	}
	ended, closeStream, err := h.Accounts.Stream(r.Context())
	if errors.Is(err, signin.ErrTooManyStreams) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		http.Error(w, "too many pages of this session follow their orders; close one", http.StatusTooManyRequests)
		return
	}
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		http.Error(w, "sign in to follow your orders", http.StatusUnauthorized)
		return
	}
	defer closeStream()
	rc := http.NewResponseController(w)
	// The server's write timeout is for pages; a stream lasts.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		httpapi.LoggerFrom(r.Context()).DebugContext(r.Context(), "the stream keeps the write deadline", "error", err)
	}
	var since time.Time
	if ms, err := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64); err == nil && ms > 0 {
		since = time.UnixMilli(ms)
	}
	sub := h.Live.Subscribe(u.Subject, since)
	defer h.Live.Unsubscribe(sub)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// A reconnecting browser waits 2 s.
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-ended:
			return // signed out, or the sign-in expired
		case change, open := <-sub.Changes:
			if !open {
				return // the webapp is stopping
			}
			data, _ := json.Marshal(change)
			_, err = fmt.Fprintf(w, "event: status\ndata: %s\n\n", data)
		case <-tick.C:
			_, err = fmt.Fprint(w, ": still here\n\n")
		}
		if err != nil || rc.Flush() != nil {
			return
		}
	}
}
