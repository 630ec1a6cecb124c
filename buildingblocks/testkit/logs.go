package testkit

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// LogBuffer collects a service's log lines so that a test can read what
// reached the logs while the service still writes them. The zero value is
// ready to use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p; it is safe to call from any goroutine.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ShowLogsIfAsked returns w, or, when the environment sets TEST_LOG, a
// writer that also copies every write to standard error, so that a
// developer can watch a service's logs while its test runs.
func ShowLogsIfAsked(w io.Writer) io.Writer {
	if os.Getenv("TEST_LOG") != "" {
		return io.MultiWriter(w, os.Stderr)
	}
	return w
}
