package testkit

import (
	"context"
	"errors"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/jackc/pgx/v5"
)

// HandleBody runs an inbox handler on a message body as the bus would:
// it decodes body as the event E and, if that succeeds, calls handle
// without a transaction (the handler's store is the test's fake). It is
// for fuzz tests of a consumer's decoding and validation: it fails t
// unless the outcome is nil or an eventbus.ErrInvalidEvent, and returns
// it.
func HandleBody[E eventbus.Event](t testing.TB, body []byte, handle func(context.Context, pgx.Tx, E) error) error {
	t.Helper()
	e, err := eventbus.Decode[E](eventbus.Message{Body: body})
	if err == nil {
		err = handle(context.Background(), nil, e)
	}
	if err != nil && !errors.Is(err, eventbus.ErrInvalidEvent) {
		t.Fatalf("%s: %v, want nil or an ErrInvalidEvent", body, err)
	}
	return err
}
