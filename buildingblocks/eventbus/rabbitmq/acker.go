package rabbitmq

import (
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Acknowledgements are batched: a quorum queue turns every basic.ack into a
// Raft command, so one ack for many deliveries costs the broker far less
// than one each.
const (
	// ackDelay is how long a finished delivery may wait for its ack to be
	// batched with others.
	ackDelay = 5 * time.Millisecond
	// ackAlone is how long a finished delivery waits behind an unfinished
	// older one (a slow handler, a message between two attempts) before it
	// is acknowledged on its own. Until then it holds a prefetch slot.
	ackAlone = 50 * time.Millisecond
)

// acker settles the deliveries of one channel. Handlers finish out of
// order, but an ack with multiple=true covers every delivery up to a tag;
// so acker acknowledges the longest run of finished deliveries from the
// oldest unsettled one with a single ack, when enough finished or after
// ackDelay. A finished delivery stuck behind an unfinished one is
// acknowledged alone after ackAlone. Nacks go out at once, one by one.
//
// Every method holds the lock while it talks to the channel, so a multiple
// ack can never overtake the nack of a delivery it would cover.
type acker struct {
	ch    *amqp.Channel
	batch int

	mu       sync.Mutex
	next     uint64               // every delivery tag below next is settled
	finished map[uint64]time.Time // handled, not acknowledged yet
	settled  map[uint64]bool      // acknowledged or nacked alone, ≥ next
	timer    *time.Timer
	armed    bool // timer set to tick
	stopped  bool
}

func newAcker(ch *amqp.Channel, prefetch int) *acker {
	return &acker{
		ch:       ch,
		batch:    max(1, prefetch/4),
		next:     1, // delivery tags start at 1 on every channel
		finished: make(map[uint64]time.Time),
		settled:  make(map[uint64]bool),
	}
}

// ack marks a delivery handled; it is acknowledged with the next batch.
func (a *acker) ack(tag uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return
	}
	a.finished[tag] = time.Now()
	if len(a.finished) >= a.batch {
		a.flushLocked(false)
	}
	a.armLocked()
}

// nack rejects a delivery at once: requeued, or dead-lettered.
func (a *acker) nack(tag uint64, requeue bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return amqp.ErrClosed
	}
	if err := a.ch.Nack(tag, false, requeue); err != nil {
		return err
	}
	a.settled[tag] = true
	return nil
}

// flush acknowledges every finished delivery now. Close calls it before it
// closes the connection, so that nothing handled is delivered again.
func (a *acker) flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return
	}
	a.flushLocked(true)
}

// stop drops what is not acknowledged yet: the channel is gone, and the
// broker delivers those messages again.
func (a *acker) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopped = true
	if a.timer != nil {
		a.timer.Stop()
	}
}

// armLocked makes sure a tick comes within ackDelay while deliveries wait
// for their ack.
func (a *acker) armLocked() {
	if len(a.finished) == 0 || a.stopped || a.armed {
		return
	}
	a.armed = true
	if a.timer == nil {
		a.timer = time.AfterFunc(ackDelay, a.tick)
		return
	}
	a.timer.Reset(ackDelay)
}

func (a *acker) tick() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.armed = false
	if a.stopped {
		return
	}
	a.flushLocked(false)
	a.ackAloneLocked(time.Now().Add(-ackAlone))
	a.armLocked()
}

// flushLocked acknowledges the run of settled-or-finished deliveries from
// next on with one multiple ack; with all, the finished deliveries after it
// too, one by one.
func (a *acker) flushLocked(all bool) {
	last := uint64(0)
	for {
		if _, ok := a.finished[a.next]; ok {
			delete(a.finished, a.next)
			last = a.next
		} else if a.settled[a.next] {
			delete(a.settled, a.next)
		} else {
			break
		}
		a.next++
	}
	// The tag of a multiple ack must itself be unacknowledged: last is the
	// newest finished one of the run, never one already settled alone.
	if last != 0 {
		_ = a.ch.Ack(last, true)
	}
	if all {
		a.ackAloneLocked(time.Now())
	}
}

// ackAloneLocked acknowledges, one by one, the finished deliveries that
// finished before cutoff.
func (a *acker) ackAloneLocked(cutoff time.Time) {
	for tag, at := range a.finished {
		if at.Before(cutoff) || at.Equal(cutoff) {
			_ = a.ch.Ack(tag, false)
			delete(a.finished, tag)
			a.settled[tag] = true
		}
	}
}
