package inmem_test

import (
	"context"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/bustest"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/inmem"
)

// The in-process bus promises none of the features a server gives: one
// bus is every service of a test (so the instances of a service do not
// share its events), nothing is kept while no handler runs, a failing
// handler is retried at once in the publishing goroutine and its message
// listed without why, nothing can be forged, and there is no connection
// to lose. Unsubscribe does not wait for a call under way.
var transport = bustest.Transport{
	NewBroker: func(testing.TB) bustest.Broker { return &broker{} },
}

func TestConformance(t *testing.T) { bustest.Run(t, transport) }

// broker is one test's in-process bus, which every service shares.
type broker struct{ bus inmem.Bus }

func (b *broker) Start(_ context.Context, _ string, o bustest.Options) (eventbus.Bus, error) {
	if o.MaxAttempts != 0 {
		b.bus.MaxAttempts = o.MaxAttempts
	}
	return &b.bus, nil
}

func (b *broker) DeadLetters(testing.TB, context.Context, string) []bustest.DeadLetter {
	var parked []bustest.DeadLetter
	for _, m := range b.bus.DeadLetters() {
		parked = append(parked, bustest.DeadLetter{Message: m})
	}
	return parked
}

func (b *broker) Name() string { return "" }
