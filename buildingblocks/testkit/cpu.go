package testkit

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// CPUUse is processor time (user and system) spent so far by this process
// (its goroutines of every kind: the garbage collector's, an exporter's in
// the background) and by the servers the tests use, when they run on this
// machine: every PostgreSQL process (backends that ended included, as their
// postmaster reaped them) and the RabbitMQ node. Read before and after a
// workload, what the workload cost each; on a machine doing nothing else,
// since the servers' figures are every process of theirs.
type CPUUse struct {
	Process, PostgreSQL, RabbitMQ time.Duration
}

// Sub is c minus o, part by part.
func (c CPUUse) Sub(o CPUUse) CPUUse {
	return CPUUse{c.Process - o.Process, c.PostgreSQL - o.PostgreSQL, c.RabbitMQ - o.RabbitMQ}
}

// ProcessCPU is CPU().Process, without reading the servers'.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPU reads the processor time this process and the servers spent so far.
// A server that does not run on this machine (or in a container of its own)
// counts zero.
func CPU() CPUUse {
	c := CPUUse{Process: ProcessCPU()}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		name, own, reaped, ok := procTimes(path)
		if !ok {
			continue
		}
		switch name {
		case "postgres":
			c.PostgreSQL += own + reaped
		case "beam.smp", "erl_child_setup", "inet_gethost":
			c.RabbitMQ += own
		}
	}
	return c
}

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on
// Linux's common architectures).
const clockTick = 10 * time.Millisecond

// procTimes reads a /proc/<pid>/stat: the command's name, the time the
// process spent itself and the time of its children that ended and were
// reaped.
func procTimes(path string) (name string, own, reaped time.Duration, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, 0, false
	}
	// pid (comm) state ppid …: comm may hold spaces and parentheses.
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return "", 0, 0, false
	}
	fields := bytes.Fields(b[closing+1:])
	// After comm, state is field 3 of proc(5): utime (14), stime (15),
	// cutime (16) and cstime (17) are at 11–14 here.
	if len(fields) < 15 {
		return "", 0, 0, false
	}
	ticks := func(i int) time.Duration {
		n, _ := strconv.ParseInt(string(fields[i]), 10, 64)
		return time.Duration(n) * clockTick
	}
	return string(b[open+1 : closing]), ticks(11) + ticks(12), ticks(13) + ticks(14), true
}
