package signin

import (
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"time"
)

// MaxSignInsPerUser is how many sign-ins (grants) one user holds at once:
// one more ends the oldest. Each is kept in memory until it ends, and a
// user with a password could otherwise sign in without end.
const MaxSignInsPerUser = 10

// ErrTooManyStreams is a session that has as many streams open as it may.
var ErrTooManyStreams = errors.New("this session has too many streams open")

// grants are the signed-in sessions' users and tokens, kept apart from the
// sessions: a session holds only its grant's id (a random string).
//
// Why apart: scs saves, at the end of every request, the whole session the
// request loaded at its start (the idle timeout marks it changed). A
// request that began before a sign-out or a refresh and ended after it
// wrote back the user and the tokens it had loaded: the sign-out undone,
// or the tokens rolled back to a refresh token already used. A grant is
// changed in place, under its lock, and only here: a session written back
// late holds only the id of a grant, which is gone when it ended.
//
// A grant ends at sign-out, when the provider no longer refreshes its
// tokens, or when the session's lifetime is over; its streams (the open
// pages' server-sent events) end with it.
type grants struct {
	mu     sync.Mutex
	byID   map[string]*grant
	byUser map[string][]string // each user's grant ids, oldest first
}

type grant struct {
	user User
	// refreshing is held by the one refresh at a time of the grant's
	// tokens: a second request waits, then finds them fresh.
	refreshing sync.Mutex
	sealed     []byte        // the tokens (grants.mu)
	streams    int           // open streams (grants.mu)
	ended      chan struct{} // closed when the grant ends
	timer      *time.Timer
}

// start keeps a new grant for lifetime at most, and returns its id.
func (g *grants) start(user User, sealed []byte, lifetime time.Duration) string {
	id := rand.Text()
	gr := &grant{user: user, sealed: sealed, ended: make(chan struct{})}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byID == nil {
		g.byID, g.byUser = map[string]*grant{}, map[string][]string{}
	}
	if held := g.byUser[user.Subject]; len(held) >= MaxSignInsPerUser {
		g.endLocked(held[0])
	}
	g.byID[id] = gr
	g.byUser[user.Subject] = append(g.byUser[user.Subject], id)
	gr.timer = time.AfterFunc(lifetime, func() { g.end(id) }) // waits for g.mu
	return id
}

// get returns the grant with the id, if it has not ended.
func (g *grants) get(id string) (*grant, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gr, ok := g.byID[id]
	return gr, ok
}

// tokens returns the grant's sealed tokens.
func (g *grants) tokens(gr *grant) []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	return gr.sealed
}

// replace makes sealed the grant's tokens, unless it ended meanwhile.
func (g *grants) replace(id string, gr *grant, sealed []byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byID[id] != gr {
		return false
	}
	gr.sealed = sealed
	return true
}

// end ends the grant with the id and returns its sealed tokens (nil when
// there was none).
func (g *grants) end(id string) []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.endLocked(id)
}

func (g *grants) endLocked(id string) []byte {
	gr, ok := g.byID[id]
	if !ok {
		return nil
	}
	delete(g.byID, id)
	held := slices.DeleteFunc(g.byUser[gr.user.Subject], func(h string) bool { return h == id })
	if len(held) == 0 {
		delete(g.byUser, gr.user.Subject)
	} else {
		g.byUser[gr.user.Subject] = held
	}
	gr.timer.Stop()
	close(gr.ended)
	return gr.sealed
}

// openStream counts one more stream of the grant, if it has fewer than max
// open, and returns a channel closed when the grant ends, and the function
// that counts the stream closed.
func (g *grants) openStream(gr *grant, max int) (<-chan struct{}, func(), error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gr.streams >= max {
		return nil, nil, ErrTooManyStreams
	}
	gr.streams++
	var once sync.Once
	return gr.ended, func() {
		once.Do(func() {
			g.mu.Lock()
			gr.streams--
			g.mu.Unlock()
		})
	}, nil
}
