package testkit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Binary is a service binary a test built and runs as a container would:
// its configuration from the environment, its JSON logs on stderr.
type Binary struct {
	t      testing.TB
	Path   string
	Env    []string // the process's environment plus the test's settings
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan error
}

// BuildBinary builds the main package in the current directory (a test of
// cmd/<name>) into the test's temporary directory, to run with env
// ("NAME=value" settings added to the process's environment).
func BuildBinary(t testing.TB, name string, env ...string) *Binary {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return &Binary{t: t, Path: path, Env: append(os.Environ(), env...)}
}

// Command returns the binary run with args in the test's environment.
func (b *Binary) Command(args ...string) *exec.Cmd {
	cmd := exec.Command(b.Path, args...)
	cmd.Env = b.Env
	return cmd
}

// Start runs the service and waits until `<binary> healthcheck` exits 0;
// the service is killed when the test ends unless Stop stopped it.
func (b *Binary) Start() {
	b.t.Helper()
	b.cmd = b.Command()
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	b.exited = make(chan error, 1)
	go func() { b.exited <- b.cmd.Wait() }()
	b.t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			b.cmd.Process.Kill()
			<-b.exited
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for b.Command("healthcheck").Run() != nil {
		if time.Now().After(deadline) {
			b.t.Fatalf("never became ready; stderr:\n%s", b.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop sends SIGTERM and returns what the process wrote on stderr; the
// test fails unless it exits 0 within a minute.
func (b *Binary) Stop() string {
	b.t.Helper()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.t.Fatal(err)
	}
	select {
	case err := <-b.exited:
		if err != nil {
			b.t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, b.stderr.String())
		}
	case <-time.After(60 * time.Second):
		b.t.Fatalf("still running after SIGTERM; stderr:\n%s", b.stderr.String())
	}
	return b.stderr.String()
}
