package testkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
)

// An EventCase is a payload for a consumer's test, made from an example of
// the AsyncAPI document, and the outcome the document gives it: applied, or
// parked as an eventbus.ErrInvalidEvent.
type EventCase struct {
	Name    string
	Body    []byte
	Applied bool
	// unread marks a case of a field the consumer does not read, which it
	// applies whatever the schema says.
	unread bool
}

// unknownField is the field a case adds that no event has.
const unknownField = "XUnknownField"

// Cases returns each example of the event and the edge cases its schema
// makes of it: each optional field removed (applied), an unknown field
// added to each object (applied), each required field removed (parked),
// each number at its minimum or maximum (applied) and one step past it
// (parked; a step is the schema's multipleOf, else 1), each string at its
// minLength or maxLength and one character past it, and each array cut to
// its minItems and one item shorter. Arrays are varied
// in their first element. unread lists the fields the consumer does not
// read, as paths like "CreationDate" or "Basket.Items[].OldUnitPrice"
// (a path covers the fields below it): every case of one is applied, as
// the lenient reader of the wire contract applies what it ignores.
func (e *AsyncEvent) Cases(unread ...string) []EventCase {
	var cases []EventCase
	for _, example := range slices.Sorted(maps.Keys(e.Examples)) {
		body := e.Examples[example]
		value, err := jsonschema.UnmarshalJSON(strings.NewReader(string(body)))
		if err != nil {
			panic(err) // LoadAsyncAPI validated it
		}
		cases = append(cases, EventCase{Name: example, Body: body, Applied: true})
		g := caseMaker{doc: e.doc, example: example, root: value, unread: unread}
		g.walk(e.payload, value, nil)
		cases = append(cases, g.cases...)
	}
	return cases
}

type caseMaker struct {
	doc     *AsyncAPI
	example string
	root    any
	unread  []string
	cases   []EventCase
}

// pathName writes a path as "Basket.Items[].ProductId".
func pathName(path []string) string {
	return strings.ReplaceAll(strings.Join(path, "."), ".[]", "[]")
}

// isUnread reports whether the field at path is one the consumer does not read.
func (g *caseMaker) isUnread(path []string) bool {
	name := pathName(path)
	return slices.ContainsFunc(g.unread, func(u string) bool {
		return name == u || strings.HasPrefix(name, u+".") || strings.HasPrefix(name, u+"[]")
	})
}

// add adds the case of the example with change made at path: what applied
// says, unless the field is unread.
func (g *caseMaker) add(what string, path []string, applied bool, change func(parent map[string]any, key string)) {
	copied, err := asJSON(g.root)
	if err != nil {
		panic(err)
	}
	parent := copied
	for _, key := range path[:len(path)-1] {
		switch p := parent.(type) {
		case map[string]any:
			parent = p[key]
		case []any:
			parent = p[0]
		}
	}
	unread := g.isUnread(path)
	p, ok := parent.(map[string]any)
	if !ok {
		return // an element of an array of plain values: no case of its own
	}
	change(p, path[len(path)-1])
	body, err := json.Marshal(copied)
	if err != nil {
		panic(err)
	}
	g.cases = append(g.cases, EventCase{Name: g.example + ": " + what, Body: body, Applied: applied || unread, unread: unread})
}

// walk makes the cases of the value at path, described by schema. An
// array's cases are made of its first element (path segment "[]").
func (g *caseMaker) walk(schema, value any, path []string) {
	s, _ := g.doc.resolve(schema).(map[string]any)
	switch v := value.(type) {
	case map[string]any:
		properties, _ := s["properties"].(map[string]any)
		required, _ := s["required"].([]any)
		for _, key := range slices.Sorted(maps.Keys(properties)) {
			if _, ok := v[key]; !ok {
				continue
			}
			at := append(slices.Clip(path), key)
			isRequired := slices.Contains(required, any(key))
			g.add("without "+pathName(at), at, !isRequired, func(p map[string]any, k string) { delete(p, k) })
			g.walk(properties[key], v[key], at)
		}
		if s["additionalProperties"] != false {
			at := append(slices.Clip(path), unknownField)
			g.add("with "+pathName(at), at, true, func(p map[string]any, k string) { p[k] = "unknown" })
		}
	case []any:
		if n, ok := count(s["minItems"]); ok && n > 0 && len(v) >= n {
			g.add(fmt.Sprintf("%s with its minItems %d", pathName(path), n), path, true, func(p map[string]any, k string) { p[k] = v[:n] })
			g.add(fmt.Sprintf("%s with %d items, past its minItems", pathName(path), n-1), path, false, func(p map[string]any, k string) { p[k] = v[:n-1] })
		}
		if len(v) > 0 {
			g.walk(s["items"], v[0], append(slices.Clip(path), "[]"))
		}
	case json.Number:
		g.bounds(s, path)
	case string:
		g.lengths(s, path, v)
	}
}

// lengths makes the cases of a string at path at and past its minLength
// and maxLength: the example's value cut short, or grown by repeating its
// last character (so that it keeps the string's pattern).
func (g *caseMaker) lengths(s map[string]any, path []string, v string) {
	runes := []rune(v)
	resize := func(n int) func(map[string]any, string) {
		return func(p map[string]any, k string) {
			if n <= len(runes) {
				p[k] = string(runes[:n])
			} else {
				p[k] = v + strings.Repeat(string(runes[len(runes)-1]), n-len(runes))
			}
		}
	}
	name := pathName(path)
	if n, ok := count(s["minLength"]); ok && n > 0 && len(runes) >= n {
		g.add(fmt.Sprintf("%s at its minLength %d", name, n), path, true, resize(n))
		g.add(fmt.Sprintf("%s past its minLength, %d characters", name, n-1), path, false, resize(n-1))
	}
	if n, ok := count(s["maxLength"]); ok && len(runes) > 0 && len(runes) <= n {
		g.add(fmt.Sprintf("%s at its maxLength %d", name, n), path, true, resize(n))
		g.add(fmt.Sprintf("%s past its maxLength, %d characters", name, n+1), path, false, resize(n+1))
	}
}

// count returns a schema keyword's count (minItems, maxLength…).
func count(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return int(i), err == nil
}

// bounds makes the cases of a number at path at and past its bounds.
func (g *caseMaker) bounds(s map[string]any, path []string) {
	step := big.NewRat(1, 1)
	if m, ok := rat(s["multipleOf"]); ok {
		step = m
	}
	name := pathName(path)
	set := func(r *big.Rat) func(map[string]any, string) {
		return func(p map[string]any, k string) { p[k] = json.Number(decimalString(r)) }
	}
	for _, b := range []struct {
		keyword   string
		direction int64 // the direction of "past the bound"
		exclusive bool
	}{{"minimum", -1, false}, {"maximum", 1, false}, {"exclusiveMinimum", -1, true}, {"exclusiveMaximum", 1, true}} {
		bound, ok := rat(s[b.keyword])
		if !ok {
			continue
		}
		inside := new(big.Rat).Set(bound)
		if b.exclusive {
			inside.Sub(bound, new(big.Rat).Mul(step, big.NewRat(b.direction, 1)))
		}
		past := new(big.Rat).Add(inside, new(big.Rat).Mul(step, big.NewRat(b.direction, 1)))
		g.add(fmt.Sprintf("%s at its %s %s", name, b.keyword, decimalString(inside)), path, true, set(inside))
		g.add(fmt.Sprintf("%s past its %s, %s", name, b.keyword, decimalString(past)), path, false, set(past))
	}
}

// rat returns a schema keyword's number.
func rat(v any) (*big.Rat, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, false
	}
	return new(big.Rat).SetString(string(n))
}

// decimalString writes r with as few decimals as it needs (at most 10).
func decimalString(r *big.Rat) string {
	for decimals := 0; decimals < 10; decimals++ {
		s := r.FloatString(decimals)
		if back, _ := new(big.Rat).SetString(s); back.Cmp(r) == 0 {
			return s
		}
	}
	return r.FloatString(10)
}

// A Consumer is a service's handling of one event, for [AsyncAPI.CheckConsumers].
type Consumer struct {
	// Handle handles a body as the bus would run it (see [HandleBody]): nil
	// when applied, an eventbus.ErrInvalidEvent when parked.
	Handle func(body []byte) error
	// Unread lists the fields the service does not read (see [AsyncEvent.Cases]).
	Unread []string
}

// CheckConsumers fails the test unless consumers, by event name, are one
// per event the document says service receives, and each has the outcome
// the document gives every case of its event (see [AsyncEvent.Cases]). It
// also fails when a case's outcome disagrees with the schema (a generated
// case the schema itself does not judge the same way).
func (doc *AsyncAPI) CheckConsumers(t testing.TB, service string, consumers map[string]Consumer) {
	t.Helper()
	if names, documented := slices.Sorted(maps.Keys(consumers)), doc.eventsOf(service, false); !slices.Equal(names, documented) {
		t.Errorf("%s's consumer cases are for %v; the AsyncAPI document says it receives %v", service, names, documented)
	}
	for _, name := range slices.Sorted(maps.Keys(consumers)) {
		e, ok := doc.Events[name]
		if !ok {
			continue // reported above
		}
		for _, c := range e.Cases(consumers[name].Unread...) {
			if schemaErr := e.Validate(c.Body); !c.unread && (schemaErr == nil) != c.Applied {
				t.Errorf("%s %s: the schema says %v, the case expects applied=%v", name, c.Name, schemaErr, c.Applied)
			}
			err := consumers[name].Handle(c.Body)
			switch {
			case c.Applied && err != nil:
				t.Errorf("%s %s: %v, want it applied\n%s", name, c.Name, err, c.Body)
			case !c.Applied && !errors.Is(err, eventbus.ErrInvalidEvent):
				t.Errorf("%s %s: %v, want it parked (ErrInvalidEvent)\n%s", name, c.Name, err, c.Body)
			}
		}
	}
}
