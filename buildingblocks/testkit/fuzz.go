package testkit

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/jackc/pgx/v5"
)

// A FakeStore is a consumer's store in a fuzz test: it records what the
// handlers asked of it.
type FakeStore interface {
	// Reached reports whether a handler asked the store anything.
	Reached() bool
}

// FuzzHandler fuzzes handle, a consumer's handler of event E, with seeds
// and the bodies the fuzzer makes of them, run as the bus would run them:
// each body is decoded as E and, if that succeeds, handled without a
// transaction by the handlers newHandlers returns over a fresh fake store.
// The outcome must be nil or an eventbus.ErrInvalidEvent; an event refused
// as invalid must not have reached the store, and for one that was not
// refused check fails t if the store was asked what the contract forbids.
func FuzzHandler[H any, S FakeStore, E eventbus.Event](f *testing.F, seeds []string, newHandlers func() (H, S), handle func(H, context.Context, pgx.Tx, E) error, check func(t *testing.T, body []byte, s S)) {
	for _, seed := range seeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := handleBody(newHandlers, handle, body)
		switch {
		case err != nil && !errors.Is(err, eventbus.ErrInvalidEvent):
			t.Fatalf("%s: %v, want nil or an ErrInvalidEvent", body, err)
		case err == nil:
			check(t, body, s)
		}
	})
}

// HandleBody returns the handling of a body by handle, a consumer's handler
// of event E, as the bus would run it: the body is decoded as E and, if that
// succeeds, handled without a transaction by the handlers newHandlers
// returns over a fresh fake store. An event refused as invalid that reached
// the store anyway is an error, not an eventbus.ErrInvalidEvent.
func HandleBody[H any, S FakeStore, E eventbus.Event](newHandlers func() (H, S), handle func(H, context.Context, pgx.Tx, E) error) func(body []byte) error {
	return func(body []byte) error {
		_, err := handleBody(newHandlers, handle, body)
		return err
	}
}

func handleBody[H any, S FakeStore, E eventbus.Event](newHandlers func() (H, S), handle func(H, context.Context, pgx.Tx, E) error, body []byte) (S, error) {
	h, s := newHandlers()
	e, err := eventbus.Decode[E](eventbus.Message{Body: body})
	if err == nil {
		err = handle(h, context.Background(), nil, e)
	}
	if errors.Is(err, eventbus.ErrInvalidEvent) && s.Reached() {
		return s, fmt.Errorf("invalid (%v), yet it reached the store", err)
	}
	return s, err
}

// FuzzDecode fuzzes the decoding of event E, and validate after it, with
// seeds and the bodies the fuzzer makes of them: never a panic; a body is
// either refused as an eventbus.ErrInvalidEvent, or makes an event that
// check accepts.
func FuzzDecode[E eventbus.Event](f *testing.F, seeds []string, validate func(E) error, check func(t *testing.T, body []byte, e E)) {
	for _, seed := range seeds {
		f.Add([]byte(seed))
	}
	var zero E
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := eventbus.Decode[E](eventbus.Message{Name: zero.EventName(), Body: body})
		if err == nil {
			err = validate(e)
		}
		switch {
		case err != nil && !errors.Is(err, eventbus.ErrInvalidEvent):
			t.Fatalf("%q: %v, want an ErrInvalidEvent", body, err)
		case err == nil:
			check(t, body, e)
		}
	})
}
