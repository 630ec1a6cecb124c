package e2e

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// publishedEvents sees every event of the AsyncAPI document that the
// services publish on the shop's exchange, from when it is made, to check
// them against the document (the producer side of the contract).
type publishedEvents struct {
	doc        *testkit.AsyncAPI
	deliveries <-chan amqp.Delivery
}

// observeContract binds a queue of the test to the shop's exchange for
// every routing key ("#" on the topic exchange), so that it also sees an
// event the AsyncAPI document does not describe.
func (s *Shop) observeContract(t *testing.T) *publishedEvents {
	t.Helper()
	doc := testkit.LoadAsyncAPI(t, "../../docs/asyncapi.yaml")
	return &publishedEvents{doc: doc, deliveries: testkit.ObserveEvents(t, s.Exchange, s.prefix, "contract", "#")}
}

// check fails the test unless every event published so far is one the
// document describes, as it describes it: a body its schema allows, and
// the message properties of the wire contract with the document's
// publisher as app id. It waits until each of want was seen, and fails
// the test if one is not.
func (p *publishedEvents) check(t *testing.T, want ...string) {
	t.Helper()
	seen := map[string]bool{}
	timeout := time.After(testkit.Patience)
	for {
		var d amqp.Delivery
		missing := slices.DeleteFunc(slices.Clone(want), func(name string) bool { return seen[name] })
		if len(missing) == 0 {
			select {
			case d = <-p.deliveries:
			default:
				return
			}
		} else {
			select {
			case d = <-p.deliveries:
			case <-timeout:
				t.Errorf("the story published no %v", missing)
				return
			}
		}
		seen[d.RoutingKey] = true
		p.checkMessage(t, d)
	}
}

// checkMessage checks one published event against the document. The
// failures name the event, never its body (which carries a payment token).
func (p *publishedEvents) checkMessage(t *testing.T, d amqp.Delivery) {
	t.Helper()
	name := d.RoutingKey
	e, ok := p.doc.Events[name]
	if !ok {
		t.Errorf("%s was published, which the AsyncAPI document does not describe", name)
		return
	}
	if err := e.Validate(d.Body); err != nil {
		t.Errorf("%s %s from %s does not match its AsyncAPI schema: %v", name, d.MessageId, d.AppId, err)
	}
	var body struct{ Id string }
	_ = json.Unmarshal(d.Body, &body)
	if d.Type != name || d.MessageId != body.Id || d.ContentType != "application/json" || d.DeliveryMode != amqp.Persistent ||
		d.Timestamp.IsZero() || !slices.Contains(e.Publishers, d.AppId) {
		t.Errorf("%s %s: type %q, message_id %q, content_type %q, delivery_mode %d, timestamp %v, app_id %q; "+
			"want the event name, the body's Id, application/json, 2, a timestamp, one of %v",
			name, body.Id, d.Type, d.MessageId, d.ContentType, d.DeliveryMode, d.Timestamp, d.AppId, e.Publishers)
	}
}
