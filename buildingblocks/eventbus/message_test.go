package eventbus_test

import (
	"errors"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

// An event without an Id cannot be told from another by the inbox: it is
// invalid, whatever else it carries.
func TestDecodeRefusesAnEventWithoutAnID(t *testing.T) {
	for name, body := range map[string]string{
		"no Id":       `{"CreationDate":"2026-11-25T10:00:00Z","ProductId":7}`,
		"nil Id":      `{"Id":"00000000-0000-0000-0000-000000000000","ProductId":7}`,
		"not JSON":    `{"Id":`,
		"Id a number": `{"Id":7,"ProductId":7}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := eventbus.Decode[testkit.PriceChanged](eventbus.Message{Name: "ProductPriceChangedIntegrationEvent", Body: []byte(body)})
			if !errors.Is(err, eventbus.ErrInvalidEvent) {
				t.Fatalf("Decode(%s) = %v, want an ErrInvalidEvent", body, err)
			}
		})
	}
	e, err := eventbus.Decode[testkit.PriceChanged](eventbus.Message{Body: []byte(`{"id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","productId":7}`)})
	if err != nil || e.ProductID != 7 {
		t.Fatalf("a valid event: %+v, %v", e, err)
	}
}
