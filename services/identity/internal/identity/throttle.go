package identity

import "time"

// The throttle of failed sign-ins. A password guesser is slowed down per
// account and client address (the account it guesses, from where) and per
// client address (one address guessing many accounts): after a key's
// threshold of failures in a row, the key is locked for LockTime, doubling
// with every further failure up to MaxLockTime. Nobody can lock an account
// for everyone: the account's key includes the address the guesses came
// from. A successful sign-in clears the account's count. While a key is
// locked no password is checked, so a locked account does not reveal
// whether a guess was right.
//
// An attempt is counted before its password is checked (Reserve), in one
// transaction per key, so attempts made at once cannot pass the lock
// together: thirty at once have no more passwords checked than thirty in a
// row.
const (
	FailuresBeforeLock   = 5
	IPFailuresBeforeLock = 20
	LockTime             = 30 * time.Second
	MaxLockTime          = time.Hour
)

// ThrottleKey is what failures are counted against, and how many are
// allowed before the first lock.
type ThrottleKey struct {
	Name      string
	Threshold int
}

// AccountKey is the key of guesses at the account with email from address.
func AccountKey(email, address string) ThrottleKey {
	return ThrottleKey{Name: "account:" + email + "|ip:" + address, Threshold: FailuresBeforeLock}
}

// AddressKey is the key of every guess from address.
func AddressKey(address string) ThrottleKey {
	return ThrottleKey{Name: "ip:" + address, Threshold: IPFailuresBeforeLock}
}

// Failures is one key's failed sign-ins in a row, and until when it is
// locked.
type Failures struct {
	Key         ThrottleKey
	Count       int
	LockedUntil time.Time
	UpdatedAt   time.Time
}

// Reserve counts an attempt at a sign-in as a failure of each key, before
// its password is checked. When a key is locked it counts nothing and
// returns the latest time until which one is; the zero time lets the
// attempt go on. A count last raised longer than MaxLockTime ago starts
// again.
func Reserve(now time.Time, keys []*Failures) (lockedUntil time.Time) {
	for _, f := range keys {
		if f.LockedUntil.After(now) && f.LockedUntil.After(lockedUntil) {
			lockedUntil = f.LockedUntil
		}
	}
	if !lockedUntil.IsZero() {
		return lockedUntil
	}
	for _, f := range keys {
		if now.Sub(f.UpdatedAt) > MaxLockTime {
			f.Count = 0
		}
		f.Count++
		f.UpdatedAt = now
		f.LockedUntil = now.Add(LockFor(f.Count, f.Key.Threshold))
	}
	return time.Time{}
}

// Succeeded takes back what Reserve counted for an attempt whose password
// was right: the account's key (the first) is cleared, the others lose the
// failure counted for it.
func Succeeded(now time.Time, keys []*Failures) {
	for i, f := range keys {
		if i == 0 {
			f.Count = 0
		} else {
			f.Count = max(f.Count-1, 0)
		}
		f.UpdatedAt = now
		f.LockedUntil = now.Add(LockFor(f.Count, f.Key.Threshold))
	}
}

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
