package testkit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
)

const fixture = "testdata/asyncapi.yaml"

// priceChanged is the fixture's event as its consumer reads it.
type priceChanged struct {
	eventbus.IntegrationEvent
	ProductID int64  `json:"ProductId"`
	Note      string `json:"Note"`
	Lines     []struct {
		Price money.Money `json:"Price"`
	} `json:"Lines"`
}

func (priceChanged) EventName() string { return "PriceChangedIntegrationEvent" }

func (priceChanged) Publisher() string { return "shop" }

// handle is a consumer of the fixture's event that validates what the
// schema says; maxProductID lets a test make it too lenient.
func handle(maxProductID int64) func([]byte) error {
	return func(body []byte) error {
		e, err := eventbus.Decode[priceChanged](eventbus.Message{Body: body})
		switch {
		case err != nil:
			return err
		case e.ProductID < 1 || e.ProductID > maxProductID || len(e.Lines) == 0 || len(e.Note) > 10:
			return fmt.Errorf("%w: product %d, lines %v", eventbus.ErrInvalidEvent, e.ProductID, e.Lines)
		}
		for _, l := range e.Lines {
			if !l.Price.IsPositive() || !l.Price.HasCents() {
				return fmt.Errorf("%w: price %s", eventbus.ErrInvalidEvent, l.Price)
			}
		}
		return nil
	}
}

// recorder is a testing.TB that records the failures of a check instead
// of failing the test, to show that the check can fail.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestLoadAsyncAPI(t *testing.T) {
	e := testkit.LoadAsyncAPI(t, fixture).Event(t, "PriceChangedIntegrationEvent")
	if !slices.Equal(e.Publishers, []string{"shop"}) || !slices.Equal(e.Consumers, []string{"cart"}) {
		t.Errorf("publishers %v, consumers %v; want [shop], [cart] (from the operation id and x-service)", e.Publishers, e.Consumers)
	}
	if err := e.Validate([]byte(`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","CreationDate":"2026-11-25T10:00:00Z","ProductId":7,"Lines":[{"Price":1.005}]}`)); err == nil {
		t.Error("a price with 3 decimals passed the schema (its $ref to Money not followed?)")
	}
}

func TestEventCases(t *testing.T) {
	e := testkit.LoadAsyncAPI(t, fixture).Event(t, "PriceChangedIntegrationEvent")
	var got []string
	for _, c := range e.Cases("CreationDate") {
		got = append(got, fmt.Sprintf("%s %v", c.Name, c.Applied))
	}
	want := []string{
		"one line true",
		"one line: without CreationDate true",
		"one line: without Id false",
		"one line: without Lines false",
		"one line: Lines with its minItems 1 true",
		"one line: Lines with 0 items, past its minItems false",
		"one line: without Lines[].Price false",
		"one line: Lines[].Price at its exclusiveMinimum 0.01 true",
		"one line: Lines[].Price past its exclusiveMinimum, 0 false",
		"one line: with Lines[].XUnknownField true",
		"one line: without Note true",
		"one line: Note at its maxLength 10 true",
		"one line: Note past its maxLength, 11 characters false",
		"one line: without ProductId false",
		"one line: ProductId at its minimum 1 true",
		"one line: ProductId past its minimum, 0 false",
		"one line: ProductId at its maximum 2147483647 true",
		"one line: ProductId past its maximum, 2147483648 false",
		"one line: with XUnknownField true",
	}
	if !slices.Equal(got, want) {
		t.Errorf("cases:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range e.Cases("Lines") {
		if strings.Contains(c.Name, "Lines") && !c.Applied {
			t.Errorf("%s: parked, but the consumer does not read Lines", c.Name)
		}
	}
	for _, c := range e.Cases() {
		if c.Name == "one line: without CreationDate" && c.Applied {
			t.Error("a required field removed that the consumer reads is applied")
		}
		if c.Name == "one line: Note past its maxLength, 11 characters" && !strings.Contains(string(c.Body), `"cheaperrrrr"`) {
			t.Errorf("%s: %s, want the Note grown by its last character", c.Name, c.Body)
		}
		if !json.Valid(c.Body) {
			t.Errorf("%s: %s is no JSON", c.Name, c.Body)
		}
	}
}

func TestCheckConsumers(t *testing.T) {
	doc := testkit.LoadAsyncAPI(t, fixture)
	unread := []string{"CreationDate"}
	doc.CheckConsumers(t, "cart", map[string]testkit.Consumer{"PriceChangedIntegrationEvent": {handle(math.MaxInt32), unread}})

	lenient := &recorder{TB: t}
	doc.CheckConsumers(lenient, "cart", map[string]testkit.Consumer{"PriceChangedIntegrationEvent": {handle(math.MaxInt64), unread}})
	if len(lenient.failures) != 1 || !strings.Contains(lenient.failures[0], "ProductId past its maximum") {
		t.Errorf("a consumer that applies a ProductId past the maximum: failures %q", lenient.failures)
	}
	strict := &recorder{TB: t}
	doc.CheckConsumers(strict, "shop", map[string]testkit.Consumer{"PriceChangedIntegrationEvent": {handle(math.MaxInt32), nil}})
	if len(strict.failures) != 2 {
		t.Errorf("a service that is no consumer, reading CreationDate: failures %q, want 2", strict.failures)
	}
	forgotten := &recorder{TB: t}
	doc.CheckConsumers(forgotten, "cart", nil)
	if len(forgotten.failures) != 1 {
		t.Errorf("a consumer without cases for the event it receives: failures %q, want 1", forgotten.failures)
	}
}

// extraField has a field the fixture's schema does not have.
type extraField struct {
	priceChanged
	Reason string `json:"Reason"`
}

// missingField lacks the required Lines.
type missingField struct {
	eventbus.IntegrationEvent
	ProductID int64 `json:"ProductId"`
}

func (missingField) EventName() string { return "PriceChangedIntegrationEvent" }

// nestedExtra has a field its nested schema does not have.
type nestedExtra struct {
	eventbus.IntegrationEvent
	ProductID int64 `json:"ProductId"`
	Lines     []struct {
		Price    money.Money `json:"Price"`
		Discount money.Money `json:"Discount"`
	} `json:"Lines"`
}

func (nestedExtra) EventName() string { return "PriceChangedIntegrationEvent" }

// unknown is an event the document does not have.
type unknown struct{ eventbus.IntegrationEvent }

func (unknown) EventName() string { return "UnknownIntegrationEvent" }

func TestCheckEventTypes(t *testing.T) {
	doc := testkit.LoadAsyncAPI(t, fixture)
	doc.CheckEventTypes(t, "shop", []eventbus.Event{priceChanged{}}, nil)
	doc.CheckEventTypes(t, "cart", nil, []eventbus.Event{priceChanged{}, missingField{}})
	for _, tc := range []struct {
		name                string
		service             string
		publishes, consumes []eventbus.Event
		failure             string
	}{
		{"a field the schema lacks", "shop", []eventbus.Event{extraField{}}, nil, "field Reason"},
		{"a nested field the schema lacks", "cart", nil, []eventbus.Event{nestedExtra{}}, "field Discount"},
		{"a required property the type lacks", "shop", []eventbus.Event{missingField{}}, nil, "requires Lines"},
		{"an event the document lacks", "shop", []eventbus.Event{priceChanged{}, unknown{}}, nil, "sends UnknownIntegrationEvent, which the AsyncAPI document does not describe"},
		{"a documented event without a type", "shop", nil, nil, "says shop sends PriceChangedIntegrationEvent, which is not among"},
		{"a publisher the document does not name", "cart", []eventbus.Event{priceChanged{}}, []eventbus.Event{priceChanged{}}, "does not say cart sends"},
		{"a consumer the document does not name", "shop", []eventbus.Event{priceChanged{}}, []eventbus.Event{priceChanged{}}, "does not say shop receives"},
	} {
		r := &recorder{TB: t}
		doc.CheckEventTypes(r, tc.service, tc.publishes, tc.consumes)
		if len(r.failures) != 1 || !strings.Contains(r.failures[0], tc.failure) {
			t.Errorf("%s: failures %q, want one with %q", tc.name, r.failures, tc.failure)
		}
	}
}

func TestCheckSubscriptions(t *testing.T) {
	doc := testkit.LoadAsyncAPI(t, fixture)
	route := eventbus.On(func(context.Context, priceChanged) error { return nil })
	doc.CheckSubscriptions(t, "cart", []eventbus.Route{route})
	for _, tc := range []struct {
		service string
		routes  []eventbus.Route
	}{{"cart", nil}, {"shop", []eventbus.Route{route}}, {"cart", []eventbus.Route{{EventName: route.EventName, Publisher: "cart", Handler: route.Handler}}}} {
		r := &recorder{TB: t}
		doc.CheckSubscriptions(r, tc.service, tc.routes)
		if len(r.failures) != 1 {
			t.Errorf("%s handling %d events: failures %q, want one", tc.service, len(tc.routes), r.failures)
		}
	}
}
