package bench

import (
	"fmt"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// cpuUse is processor time spent by the parts of a pipeline on this
// machine (testkit.CPUUse: this Go process with the producers, the relay,
// the consumer and their clients; every PostgreSQL process; the RabbitMQ
// node) and by a load generator run as a child (pgbench).
type cpuUse struct {
	testkit.CPUUse
	client time.Duration
}

func readCPU() cpuUse { return cpuUse{CPUUse: testkit.CPU()} }

func (c cpuUse) sub(o cpuUse) cpuUse { return cpuUse{c.CPUUse.Sub(o.CPUUse), c.client - o.client} }

// perUnit formats c divided among n units (events, transactions) in
// microseconds, part by part.
func (c cpuUse) perUnit(n float64) string {
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
	s := fmt.Sprintf("Go %.0f + PostgreSQL %.0f + RabbitMQ %.0f", us(c.Process), us(c.PostgreSQL), us(c.RabbitMQ))
	if c.client > 0 {
		s += fmt.Sprintf(" + pgbench %.0f", us(c.client))
	}
	return s + fmt.Sprintf(" = %.0f µs", us(c.Process+c.PostgreSQL+c.RabbitMQ+c.client))
}
