package testkit

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// CheckService checks one service's side of the document: its event types
// (CheckEventTypes) and its handlers' routes (CheckSubscriptions).
func (doc *AsyncAPI) CheckService(t testing.TB, service string, publishes, consumes []eventbus.Event, routes []eventbus.Route) {
	t.Helper()
	doc.CheckEventTypes(t, service, publishes, consumes)
	doc.CheckSubscriptions(t, service, routes)
}

// CheckEventTypes fails the test unless service's own Go event types match
// the AsyncAPI document: each type it publishes is an event the document
// says service sends, each type it consumes one it says service receives;
// every JSON field of a type (embedded structs flattened, nested structs
// and slices of them checked against the nested schema) is a property of
// the event's schema; and a published type has a field for every required
// property. The types must be all the events the document says service
// sends and receives. So a change to an event type the document does not
// describe fails the test.
func (doc *AsyncAPI) CheckEventTypes(t testing.TB, service string, publishes, consumes []eventbus.Event) {
	t.Helper()
	for _, side := range []struct {
		events    []eventbus.Event
		verb      string
		published bool
	}{{publishes, "sends", true}, {consumes, "receives", false}} {
		var names []string
		for _, event := range side.events {
			names = append(names, event.EventName())
		}
		for _, documented := range doc.eventsOf(service, side.published) {
			if !slices.Contains(names, documented) {
				t.Errorf("the AsyncAPI document says %s %s %s, which is not among its Go event types %v", service, side.verb, documented, names)
			}
		}
		for _, event := range side.events {
			name := event.EventName()
			e, ok := doc.Events[name]
			if !ok {
				t.Errorf("%s %s %s, which the AsyncAPI document does not describe", service, side.verb, name)
				continue
			}
			services := e.Consumers
			if side.published {
				services = e.Publishers
			}
			if !slices.Contains(services, service) {
				t.Errorf("the AsyncAPI document does not say %s %s %s (only %v)", service, side.verb, name, services)
			}
			doc.checkFields(t, name, reflect.TypeOf(event), e.payload, side.published)
		}
	}
}

// CheckSubscriptions fails the test unless routes, service's event
// handlers, are one per event the AsyncAPI document says service receives,
// each naming the publisher the document says sends it (the bus parks an
// event from anyone else as forged).
func (doc *AsyncAPI) CheckSubscriptions(t testing.TB, service string, routes []eventbus.Route) {
	t.Helper()
	var handled []string
	for _, r := range routes {
		handled = append(handled, r.EventName)
		if e, ok := doc.Events[r.EventName]; ok && !slices.Contains(e.Publishers, r.Publisher) {
			t.Errorf("%s's route of %s names its publisher %q; the AsyncAPI document says %v send it", service, r.EventName, r.Publisher, e.Publishers)
		}
	}
	slices.Sort(handled)
	if documented := doc.eventsOf(service, false); !slices.Equal(handled, documented) {
		t.Errorf("%s handles %v; the AsyncAPI document says it receives %v", service, handled, documented)
	}
}

// eventsOf returns the names of the events service sends (or receives), sorted.
func (doc *AsyncAPI) eventsOf(service string, sends bool) []string {
	var names []string
	for name, e := range doc.Events {
		services := e.Consumers
		if sends {
			services = e.Publishers
		}
		if slices.Contains(services, service) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

var leafTypes = []reflect.Type{
	reflect.TypeFor[time.Time](),
	reflect.TypeFor[json.Marshaler](),
	reflect.TypeFor[encoding.TextMarshaler](),
}

// checkFields checks the JSON fields of struct type typ against the object
// schema at where.
func (doc *AsyncAPI) checkFields(t testing.TB, where string, typ reflect.Type, schema any, published bool) {
	t.Helper()
	s, _ := doc.resolve(schema).(map[string]any)
	properties, _ := s["properties"].(map[string]any)
	fields := map[string]reflect.Type{}
	jsonFields(typ, fields)
	for name, fieldType := range fields {
		property, ok := properties[name]
		if !ok {
			t.Errorf("%s: the Go type %s has the field %s, which the AsyncAPI schema does not have", where, typ, name)
			continue
		}
		for fieldType.Kind() == reflect.Pointer || fieldType.Kind() == reflect.Slice {
			fieldType = fieldType.Elem()
			if fieldType.Kind() != reflect.Uint8 { // []byte is a string
				array, _ := doc.resolve(property).(map[string]any)
				property = array["items"]
			}
		}
		if fieldType.Kind() == reflect.Struct && !isLeaf(fieldType) {
			doc.checkFields(t, where+"."+name, fieldType, property, published)
		}
	}
	if !published {
		return
	}
	required, _ := s["required"].([]any)
	for _, name := range required {
		if _, ok := fields[name.(string)]; !ok {
			t.Errorf("%s: the AsyncAPI schema requires %s, which the Go type %s does not have", where, name, typ)
		}
	}
}

func isLeaf(typ reflect.Type) bool {
	return slices.ContainsFunc(leafTypes, func(leaf reflect.Type) bool {
		return typ == leaf || (leaf.Kind() == reflect.Interface && (typ.Implements(leaf) || reflect.PointerTo(typ).Implements(leaf)))
	})
}

// jsonFields adds the JSON field names of struct type typ to fields, as
// encoding/json names them: embedded structs without a name are flattened,
// "-" fields are skipped.
func jsonFields(typ reflect.Type, fields map[string]reflect.Type) {
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			jsonFields(f.Type, fields)
			continue
		case name == "":
			name = f.Name
		}
		fields[name] = f.Type
	}
}
