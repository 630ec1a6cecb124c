package signin

import (
	"errors"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	lru "github.com/hashicorp/golang-lru/v2"
)

// SessionStore keeps the storefront's sessions in memory, as an scs.Store:
// the signed-in ones (holding a grant's id) for as long as they last, the
// others (a sign-in in progress, a notice to show) at most maxAnonymous of
// them, the least recently saved going first. Anyone can make an
// anonymous session with one request, so a flood of them costs bounded
// memory, and signs nobody out; a signed-in session costs a sign-in at
// identity.
type SessionStore struct {
	codec scs.Codec

	mu        sync.Mutex
	signedIn  map[string]storedSession
	anonymous *lru.Cache[string, storedSession]
	swept     time.Time
}

type storedSession struct {
	data   []byte
	expiry time.Time
}

var _ scs.Store = (*SessionStore)(nil)

// sweepEvery is how often the expired signed-in sessions are looked for.
const sweepEvery = time.Minute

// NewSessionStore returns a store that keeps at most maxAnonymous sessions
// that are not signed in; codec is the session manager's.
func NewSessionStore(codec scs.Codec, maxAnonymous int) (*SessionStore, error) {
	if maxAnonymous < 1 {
		return nil, errors.New("the store must keep at least one anonymous session")
	}
	anonymous, err := lru.New[string, storedSession](maxAnonymous)
	if err != nil {
		return nil, err
	}
	return &SessionStore{codec: codec, signedIn: map[string]storedSession{}, anonymous: anonymous}, nil
}

// Find returns the data of the session token, if it is kept and has not
// expired.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.signedIn[token]
	if !ok {
		stored, ok = s.anonymous.Peek(token)
	}
	if !ok || time.Now().After(stored.expiry) {
		return nil, false, nil
	}
	return stored.data, true, nil
}

// Commit keeps the session token's data until expiry.
func (s *SessionStore) Commit(token string, data []byte, expiry time.Time) error {
	_, values, err := s.codec.Decode(data)
	if err != nil {
		return err
	}
	_, signedIn := values[keyGrant]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	stored := storedSession{data: data, expiry: expiry}
	if signedIn {
		s.anonymous.Remove(token)
		s.signedIn[token] = stored
	} else {
		delete(s.signedIn, token)
		s.anonymous.Add(token, stored)
	}
	return nil
}

// Delete forgets the session token.
func (s *SessionStore) Delete(token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.signedIn, token)
	s.anonymous.Remove(token)
	return nil
}

// sweep forgets the expired signed-in sessions, at most once every
// sweepEvery (the anonymous ones make way for new ones anyway).
func (s *SessionStore) sweep() {
	now := time.Now()
	if now.Sub(s.swept) < sweepEvery {
		return
	}
	s.swept = now
	for token, stored := range s.signedIn {
		if now.After(stored.expiry) {
			delete(s.signedIn, token)
		}
	}
}
