package testkit

import (
	"sync"
	"testing"
)

// loadedFiles holds what was loaded from a file, by path, so that a test
// binary loads each file once (LoadAsyncAPI, LoadContract).
type loadedFiles[T any] struct {
	mu     sync.Mutex
	byPath map[string]*T
}

// get returns what load made of path, calling it at the first get of path;
// a failure of load fails the test.
func (l *loadedFiles[T]) get(t testing.TB, path string, load func(path string) (*T, error)) *T {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.byPath[path]; ok {
		return v
	}
	v, err := load(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if l.byPath == nil {
		l.byPath = map[string]*T{}
	}
	l.byPath[path] = v
	return v
}
