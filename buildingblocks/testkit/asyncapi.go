package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"
)

// AsyncAPI is the event contract, docs/asyncapi.yaml: per event name, the
// schema of its payload, its examples, and which services send and receive
// it.
type AsyncAPI struct {
	// Events are the document's events by name, one per channel.
	Events map[string]*AsyncEvent
	root   map[string]any
}

// AsyncEvent is one event of the contract: the message components.messages.<Name>
// of the document and the operations on its channel.
type AsyncEvent struct {
	Name string
	// Schema is the compiled payload schema.
	Schema *jsonschema.Schema
	// Examples are the message's example payloads by example name.
	Examples map[string][]byte
	// Publishers and Consumers are the services with a send or a receive
	// operation on the event's channel.
	Publishers, Consumers []string
	payload               map[string]any
	doc                   *AsyncAPI
}

var asyncAPIDocs loadedFiles[AsyncAPI]

// LoadAsyncAPI loads the AsyncAPI document at path (e.g.
// "../../../../docs/asyncapi.yaml"), once per test binary, and compiles each
// event's payload schema, resolving the document's local $refs. An event
// without a message, schema or operation, or an example its own schema
// refuses, fails the test.
func LoadAsyncAPI(t testing.TB, path string) *AsyncAPI {
	t.Helper()
	return asyncAPIDocs.get(t, path, loadAsyncAPI)
}

func loadAsyncAPI(path string) (*AsyncAPI, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fromYAML any
	if err := yaml.Unmarshal(raw, &fromYAML); err != nil {
		return nil, err
	}
	root, err := asJSON(fromYAML)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	url := "file://" + filepath.ToSlash(abs)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7) // AsyncAPI's schema format is a superset of draft 7
	c.AssertFormat()
	if err := c.AddResource(url, root); err != nil {
		return nil, err
	}
	doc := &AsyncAPI{Events: map[string]*AsyncEvent{}}
	doc.root, _ = root.(map[string]any)
	channels, _ := doc.lookup("#/channels").(map[string]any)
	for name := range channels {
		message, ok := doc.lookup("#/components/messages/" + name).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("channel %s has no message components.messages.%s", name, name)
		}
		payload, ok := doc.resolve(message["payload"]).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("message %s has no payload schema", name)
		}
		schema, err := c.Compile(url + "#/components/messages/" + name + "/payload")
		if err != nil {
			return nil, fmt.Errorf("message %s: %w", name, err)
		}
		e := &AsyncEvent{Name: name, Schema: schema, Examples: map[string][]byte{}, payload: payload, doc: doc}
		examples, _ := message["examples"].([]any)
		for i, x := range examples {
			x, _ := x.(map[string]any)
			body, err := json.Marshal(x["payload"])
			if err != nil {
				return nil, err
			}
			exampleName, _ := x["name"].(string)
			if exampleName == "" {
				exampleName = fmt.Sprint(i)
			}
			if err := e.Validate(body); err != nil {
				return nil, fmt.Errorf("message %s: example %s: %w", name, exampleName, err)
			}
			e.Examples[exampleName] = body
		}
		if len(e.Examples) == 0 {
			return nil, fmt.Errorf("message %s has no example", name)
		}
		doc.Events[name] = e
	}
	operations, _ := doc.lookup("#/operations").(map[string]any)
	for id, op := range operations {
		op, _ := op.(map[string]any)
		channel, _ := op["channel"].(map[string]any)
		ref, _ := channel["$ref"].(string)
		e := doc.Events[strings.TrimPrefix(ref, "#/channels/")]
		service := operationService(id, op)
		switch {
		case e == nil:
			return nil, fmt.Errorf("operation %s: channel %q is no event's", id, ref)
		case service == "":
			return nil, fmt.Errorf("operation %s names no service (x-service)", id)
		case op["action"] == "send":
			e.Publishers = append(e.Publishers, service)
		case op["action"] == "receive":
			e.Consumers = append(e.Consumers, service)
		default:
			return nil, fmt.Errorf("operation %s: action %v is neither send nor receive", id, op["action"])
		}
	}
	for _, e := range doc.Events {
		if len(e.Publishers) == 0 {
			return nil, fmt.Errorf("event %s has no send operation", e.Name)
		}
		slices.Sort(e.Publishers)
		slices.Sort(e.Consumers)
	}
	return doc, nil
}

// operationIDService is the service an operation id names, as in
// catalogSendProductPriceChanged.
var operationIDService = regexp.MustCompile(`^([a-z]+)(Send|Receive)`)

// operationService is the service of an operation: its x-service, or the
// service its id starts with.
func operationService(id string, op map[string]any) string {
	if s, ok := op["x-service"].(string); ok {
		return s
	}
	if m := operationIDService.FindStringSubmatch(id); m != nil {
		return m[1]
	}
	return ""
}

// asJSON turns a value decoded from YAML into one decoded from JSON, with
// exact numbers (json.Number), as the schema compiler wants it.
func asJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// lookup returns the value at a local reference "#/a/b" of the document.
func (doc *AsyncAPI) lookup(ref string) any {
	var v any = doc.root
	for _, token := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		token = strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
		v = m[token]
	}
	return v
}

// resolve follows a schema's local $refs.
func (doc *AsyncAPI) resolve(schema any) any {
	for range 32 {
		m, ok := schema.(map[string]any)
		if !ok {
			return schema
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return schema
		}
		schema = doc.lookup(ref)
	}
	return nil
}

// Event returns the event name, failing the test when the document has no
// such event.
func (doc *AsyncAPI) Event(t testing.TB, name string) *AsyncEvent {
	t.Helper()
	e, ok := doc.Events[name]
	if !ok {
		t.Fatalf("the AsyncAPI document has no event %s", name)
	}
	return e
}

// Validate reports whether body is a payload the event's schema allows.
func (e *AsyncEvent) Validate(body []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return e.Schema.Validate(v)
}
