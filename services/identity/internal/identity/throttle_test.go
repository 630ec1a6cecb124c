package identity

import (
	"testing"
	"time"
)

func TestLockForGrowsFromTheThresholdUpToTheMaximum(t *testing.T) {
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {4, 0}, {5, 30 * time.Second}, {6, time.Minute}, {7, 2 * time.Minute}, {11, 32 * time.Minute}, {12, time.Hour}, {100, time.Hour},
	} {
		if got := LockFor(c.failures, FailuresBeforeLock); got != c.want {
			t.Errorf("LockFor(%d) = %v, want %v", c.failures, got, c.want)
		}
	}
}

// A key at its threshold is locked: Reserve refuses and counts nothing; a
// count idle for longer than the longest lock starts again.
func TestReserveLocksAtTheThresholdAndAnIdleCountStartsAgain(t *testing.T) {
	now := time.Now()
	f := &Failures{Key: ThrottleKey{Name: "k", Threshold: 3}}
	keys := []*Failures{f}
	for i := 1; i <= 3; i++ {
		if locked := Reserve(now, keys); !locked.IsZero() {
			t.Fatalf("attempt %d refused, want 3 let through", i)
		}
	}
	if locked := Reserve(now, keys); !locked.Equal(now.Add(LockTime)) || f.Count != 3 {
		t.Fatalf("the 4th attempt: locked until %v, count %d; want refused until %v, count 3", locked, f.Count, now.Add(LockTime))
	}
	later := now.Add(2 * MaxLockTime)
	if locked := Reserve(later, keys); !locked.IsZero() || f.Count != 1 {
		t.Fatalf("after an idle count: locked until %v, count %d; want let through, count 1", locked, f.Count)
	}
}

// A right password clears the account's key and takes back the failure
// counted for it from the address's.
func TestSucceededClearsTheAccountAndTakesBackTheAddressFailure(t *testing.T) {
	now := time.Now()
	account := &Failures{Key: AccountKey("a@example.com", "10.0.0.1"), Count: 2, UpdatedAt: now}
	address := &Failures{Key: AddressKey("10.0.0.1"), Count: 7, UpdatedAt: now}
	keys := []*Failures{account, address}
	Reserve(now, keys)
	Succeeded(now, keys)
	if account.Count != 0 || address.Count != 7 || account.LockedUntil.After(now) || address.LockedUntil.After(now) {
		t.Fatalf("after a success: account %+v, address %+v", *account, *address)
	}
}
