package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// cpuUse is processor time (user and system) spent by the parts of a
// pipeline on this machine: this Go process (the producers, the relay, the
// consumer and their clients), every PostgreSQL process, the RabbitMQ node,
// and a load generator run as a child (pgbench).
//
// It reads /proc, so it counts only servers running on this machine, and
// every process of theirs: the figures mean what they say on a machine
// doing nothing else.
type cpuUse struct {
	goProcess, postgres, rabbitmq, client time.Duration
}

// total is the time of all parts.
func (c cpuUse) total() time.Duration { return c.goProcess + c.postgres + c.rabbitmq + c.client }

func (c cpuUse) sub(o cpuUse) cpuUse {
	return cpuUse{c.goProcess - o.goProcess, c.postgres - o.postgres, c.rabbitmq - o.rabbitmq, c.client - o.client}
}

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on
// Linux's common architectures).
const clockTick = 10 * time.Millisecond

// readCPU reads the processor time spent so far by this process and by the
// servers. A server's processes that ended are counted in their parent's
// reaped-children times (PostgreSQL's postmaster reaps its backends).
func readCPU() cpuUse {
	var c cpuUse
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.goProcess = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		name, own, reaped, ok := procTimes(path)
		if !ok {
			continue
		}
		switch name {
		case "postgres":
			c.postgres += own + reaped
		case "beam.smp", "erl_child_setup", "inet_gethost":
			c.rabbitmq += own
		}
	}
	return c
}

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
	// After comm: state is field 3 of proc(5), so utime (14), stime (15),
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

// perUnit formats c divided among n units (events, transactions) in
// microseconds, part by part.
func (c cpuUse) perUnit(n float64) string {
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
	s := fmt.Sprintf("Go %.0f + PostgreSQL %.0f", us(c.goProcess), us(c.postgres))
	if c.rabbitmq > 0 {
		s += fmt.Sprintf(" + RabbitMQ %.0f", us(c.rabbitmq))
	}
	if c.client > 0 {
		s += fmt.Sprintf(" + pgbench %.0f", us(c.client))
	}
	return s + fmt.Sprintf(" = %.0f µs", us(c.total()))
}
