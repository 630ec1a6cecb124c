package identity

import "time"

// The throttle of failed sign-ins. A password guesser is slowed down per
// account (the account it guesses) and per client address (one address
// guessing many accounts): after FailuresBeforeLock failures in a row, the
// key is locked for LockTime, doubling with every further failure up to
// MaxLockTime. A successful sign-in clears the account's count. While a key
// is locked no password is checked, so a locked account does not reveal
// whether a guess was right.
const (
	FailuresBeforeLock   = 5
	IPFailuresBeforeLock = 20
	LockTime             = 30 * time.Second
	MaxLockTime          = time.Hour
)

// LockFor is how long a key stays locked after its failures-th failure in a
// row, with threshold failures allowed before the first lock: zero below the
// threshold, then LockTime, doubling up to MaxLockTime.
func LockFor(failures, threshold int) time.Duration {
	if failures < threshold {
		return 0
	}
	lock := LockTime
	for i := threshold; i < failures && lock < MaxLockTime; i++ {
		lock *= 2
	}
	return min(lock, MaxLockTime)
}
