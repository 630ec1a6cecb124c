package payment

import (
	"errors"
	"sync"
	"time"
)

// ErrTokenSpent is the error of a token that already paid another order.
var ErrTokenSpent = errors.New("payment: the payment token was already used for another order")

// SpentTokens remembers, for each token charged, the order it paid, until
// the token expires (after that, Tokens.Open refuses it anyway). A token
// pays one order: a second order with it is refused, while the same order
// again (ordering's request redelivered, or repeated after a crash) is
// charged again, since the order is what the buyer paid for once.
//
// Payment has no database, so the memory is this process's: a restart
// forgets it, and each replica remembers only the tokens it charged, so
// with n replicas a token could pay up to n orders, all of its own buyer
// (a token pays only its buyer's orders, Tokens.Open and Handlers.Charge).
// A rule for the whole shop needs a store the replicas share.
//
// It is a map and not a cache library: a cache that evicts (LRU, a size
// bound) would forget a spent token before it expires, and let it pay again.
type SpentTokens struct {
	mu    sync.Mutex
	spent map[string]spentToken
	// sweepAt is when the next pass drops the expired entries.
	sweepAt time.Time
}

type spentToken struct {
	order     int64
	expiresAt time.Time
}

// sweepEvery is how often Spend drops the tokens that expired.
const sweepEvery = time.Minute

// Spend records that t pays order at now, or returns ErrTokenSpent when t
// already paid another order.
func (s *SpentTokens) Spend(t Token, order int64, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spent == nil {
		s.spent = map[string]spentToken{}
	}
	if !now.Before(s.sweepAt) {
		for id, st := range s.spent {
			if !now.Before(st.expiresAt) {
				delete(s.spent, id)
			}
		}
		s.sweepAt = now.Add(sweepEvery)
	}
	if st, ok := s.spent[t.ID]; ok && st.order != order {
		return ErrTokenSpent
	}
	s.spent[t.ID] = spentToken{order: order, expiresAt: t.ExpiresAt}
	return nil
}
