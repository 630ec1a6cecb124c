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
