package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The prose tables of the events: the wire contract's and the summary of
// architecture.md. Each must say what docs/asyncapi.yaml says.
const (
	eventsDoc       = "../../docs/events.md"
	architectureDoc = "../../docs/architecture.md"
)

// eventTableLine is a row of an events table in markdown: the event's name
// in backquotes, its publisher, its consumers, and the rest of the row.
type eventTableLine struct {
	name, publisher string
	consumers       []string
	rest            []string
}

// eventTableLines reads the rows "| `EventName` | publisher | consumers |
// … |" of a markdown text, in order; other lines and tables are left alone.
func eventTableLines(text []byte) []eventTableLine {
	var lines []eventTableLine
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if !strings.HasSuffix(name, "IntegrationEvent") {
			continue
		}
		line := eventTableLine{name: name, publisher: strings.TrimSpace(cells[2]), rest: cells[4:]}
		for c := range strings.SplitSeq(cells[3], ",") {
			if c = strings.TrimSpace(c); c != "–" && c != "-" && c != "" {
				line.consumers = append(line.consumers, c)
			}
		}
		slices.Sort(line.consumers)
		lines = append(lines, line)
	}
	return lines
}

// tableDrift lists where the events table of a markdown text (the file
// where) differs from want, docs/asyncapi.yaml's events: an event missing,
// listed twice or not in the document, another publisher, other consumers.
// It lists nothing when they agree.
func tableDrift(where string, text []byte, want map[string]eventRow) []string {
	lines := eventTableLines(text)
	if len(lines) == 0 {
		return []string{where + ": no events table found"}
	}
	var drift []string
	seen := map[string]bool{}
	for _, l := range lines {
		w, ok := want[l.name]
		switch {
		case seen[l.name]:
			drift = append(drift, fmt.Sprintf("%s lists %s twice", where, l.name))
		case !ok:
			drift = append(drift, fmt.Sprintf("%s lists %s, which docs/asyncapi.yaml does not have", where, l.name))
		case l.publisher != w.publisher:
			drift = append(drift, fmt.Sprintf("%s: %s is published by %q, docs/asyncapi.yaml says %q", where, l.name, l.publisher, w.publisher))
		}
		if ok && !seen[l.name] && !slices.Equal(l.consumers, w.consumers) {
			drift = append(drift, fmt.Sprintf("%s: %s is consumed by %q, docs/asyncapi.yaml says %q", where, l.name, l.consumers, w.consumers))
		}
		seen[l.name] = true
	}
	for name := range want {
		if !seen[name] {
			drift = append(drift, fmt.Sprintf("%s does not list %s, which docs/asyncapi.yaml has", where, name))
		}
	}
	slices.Sort(drift)
	return drift
}

// fieldName is a payload field as the events table names it: `Name`.
var fieldName = regexp.MustCompile("`([A-Z][A-Za-z0-9]*)`")

// payloadDrift lists where the payload column of the wire contract's
// events table (docs/events.md) differs from the document's schemas: a
// field the table names that the event's schema has nowhere, or a field
// the schema requires at its top level that the table does not name. "as
// Submitted" stands for the fields of the Submitted event's row.
func payloadDrift(where string, text []byte, doc *testkit.AsyncAPI) []string {
	named := map[string][]string{}
	for _, l := range eventTableLines(text) {
		payload := strings.Join(l.rest, "|")
		named[l.name] = []string{}
		for _, m := range fieldName.FindAllStringSubmatch(payload, -1) {
			named[l.name] = append(named[l.name], m[1])
		}
		if strings.Contains(payload, "as Submitted") {
			named[l.name] = append(named[l.name], named["OrderStatusChangedToSubmittedIntegrationEvent"]...)
		}
	}
	var drift []string
	for name, fields := range named {
		e, ok := doc.Events[name]
		if !ok {
			continue // tableDrift says so
		}
		properties := map[string]bool{}
		schemaProperties(e.Schema, properties, map[*jsonschema.Schema]bool{})
		for _, f := range fields {
			if !properties[f] {
				drift = append(drift, fmt.Sprintf("%s: %s names the field %s, which its schema in docs/asyncapi.yaml does not have", where, name, f))
			}
		}
		for _, f := range schemaRequired(e.Schema) {
			if f != "Id" && f != "CreationDate" && !slices.Contains(fields, f) {
				drift = append(drift, fmt.Sprintf("%s: %s does not name the field %s, which its schema in docs/asyncapi.yaml requires", where, name, f))
			}
		}
	}
	slices.Sort(drift)
	return drift
}

// schemaProperties adds the property names of s, at any depth, to names.
func schemaProperties(s *jsonschema.Schema, names map[string]bool, seen map[*jsonschema.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	for n, p := range s.Properties {
		names[n] = true
		schemaProperties(p, names, seen)
	}
	schemaProperties(s.Ref, names, seen)
	schemaProperties(s.Items2020, names, seen)
	switch items := s.Items.(type) {
	case *jsonschema.Schema:
		schemaProperties(items, names, seen)
	case []*jsonschema.Schema:
		for _, i := range items {
			schemaProperties(i, names, seen)
		}
	}
	for _, sub := range slices.Concat(s.AllOf, s.AnyOf, s.OneOf) {
		schemaProperties(sub, names, seen)
	}
}

// schemaRequired is what s requires at its top level.
func schemaRequired(s *jsonschema.Schema) []string {
	var required []string
	for ; s != nil; s = s.Ref {
		required = append(required, s.Required...)
		for _, sub := range s.AllOf {
			required = append(required, schemaRequired(sub)...)
		}
	}
	return required
}

// The events tables in prose, docs/events.md's and docs/architecture.md's,
// list the events of docs/asyncapi.yaml, each with the service of its send
// operation as publisher and those of its receive operations as consumers;
// the payload column of docs/events.md names only fields the event's schema
// has, and every field the schema requires.
func TestTheEventsTablesAgreeWithTheAsyncAPIDocument(t *testing.T) {
	want := documentTable(t)
	for _, path := range []string{eventsDoc, architectureDoc} {
		for _, d := range tableDrift(path, mustRead(t, path), want) {
			t.Error(d)
		}
	}
	for _, d := range payloadDrift(eventsDoc, mustRead(t, eventsDoc), testkit.LoadAsyncAPI(t, "../../docs/asyncapi.yaml")) {
		t.Error(d)
	}
}

// The checks above fail on a table that drifted from the document: each
// case edits today's docs/events.md as a careless change would, and the
// check must name what drifted.
func TestADriftedEventsTableFails(t *testing.T) {
	want := documentTable(t)
	doc := testkit.LoadAsyncAPI(t, "../../docs/asyncapi.yaml")
	text := string(mustRead(t, eventsDoc))
	if d := slices.Concat(tableDrift(eventsDoc, []byte(text), want), payloadDrift(eventsDoc, []byte(text), doc)); len(d) > 0 {
		t.Fatalf("docs/events.md drifts already: %q", d)
	}
	// replace edits the first old in text to new; the case is out of date
	// when text no longer holds old.
	replace := func(old, new string) func(*testing.T) []byte {
		return func(t *testing.T) []byte {
			if !strings.Contains(text, old) {
				t.Fatalf("docs/events.md no longer holds %q: update the case", old)
			}
			return []byte(strings.Replace(text, old, new, 1))
		}
	}
	for _, c := range []struct {
		name string
		edit func(*testing.T) []byte
		says string
	}{
		{"another publisher",
			replace("| `OrderStockConfirmedIntegrationEvent` | catalog |", "| `OrderStockConfirmedIntegrationEvent` | basket |"),
			`OrderStockConfirmedIntegrationEvent is published by "basket", docs/asyncapi.yaml says "catalog"`},
		{"a consumer left out",
			replace("| `OrderStatusChangedToPaidIntegrationEvent` | ordering | catalog, webapp |", "| `OrderStatusChangedToPaidIntegrationEvent` | ordering | catalog |"),
			`OrderStatusChangedToPaidIntegrationEvent is consumed by ["catalog"], docs/asyncapi.yaml says ["catalog" "webapp"]`},
		{"a consumer added",
			replace("| `OrderStartedIntegrationEvent` | ordering | basket |", "| `OrderStartedIntegrationEvent` | ordering | basket, payment |"),
			`OrderStartedIntegrationEvent is consumed by ["basket" "payment"]`},
		{"an event left out",
			replace("| `OrderPaymentFailedIntegrationEvent` | payment | ordering | `OrderId` |\n", ""),
			"does not list OrderPaymentFailedIntegrationEvent"},
		{"an event listed twice",
			replace("| `OrderPaymentFailedIntegrationEvent` | payment | ordering | `OrderId` |\n", "| `OrderPaymentFailedIntegrationEvent` | payment | ordering | `OrderId` |\n| `OrderPaymentFailedIntegrationEvent` | payment | ordering | `OrderId` |\n"),
			"lists OrderPaymentFailedIntegrationEvent twice"},
		{"an event the document lacks",
			replace("| `OrderPaymentFailedIntegrationEvent` |", "| `OrderPaymentRefusedIntegrationEvent` |"),
			"lists OrderPaymentRefusedIntegrationEvent, which docs/asyncapi.yaml does not have"},
		{"a field renamed",
			replace("`ProductId` int, `NewPrice`, `OldPrice`", "`ProductId` int, `Price`, `OldPrice`"),
			"ProductPriceChangedIntegrationEvent names the field Price"},
		{"a required field left out",
			replace("| `OrderStockConfirmedIntegrationEvent` | catalog | ordering | `OrderId` |", "| `OrderStockConfirmedIntegrationEvent` | catalog | ordering | the order's id |"),
			"OrderStockConfirmedIntegrationEvent does not name the field OrderId"},
		{"no table at all",
			func(*testing.T) []byte {
				return []byte(regexp.MustCompile("(?m)^\\| `.*\n").ReplaceAllString(text, ""))
			},
			"no events table found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			broken := c.edit(t)
			drift := slices.Concat(tableDrift(eventsDoc, broken, want), payloadDrift(eventsDoc, broken, doc))
			if !slices.ContainsFunc(drift, func(d string) bool { return strings.Contains(d, c.says) }) {
				t.Errorf("the check says %q, want a line saying %q", drift, c.says)
			}
		})
	}
}
