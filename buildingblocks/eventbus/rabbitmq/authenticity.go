package rabbitmq

import (
	"fmt"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
)

// An event is only what the broker let its publisher send (docs/architecture.md,
// "Trust"). The broker authorises each publish by its routing key (topic
// permissions) and checks its user_id against the user that sends it; it
// does not look at the type or the headers, which the publisher writes
// as it likes. So the consumer trusts a delivery by the way it came:
//
//   - through the shop's exchange: a publisher sent it. It stands for the
//     event its routing key names, and is forged if its type says
//     otherwise, if it carries a header only the bus or the broker writes
//     (x-park and its reasons, x-attempt, x-death, …), or if its user_id
//     is not the broker user of the event's publisher;
//   - through the queue's requeue exchange: the bus itself sent it on (a
//     retry back from the wait queue, a copy marked to be parked, a
//     replay). Only the service's own user may write there, and no user
//     may make a queue dead-letter there (deploy/rabbitmq/definitions.json).
//     It stands for the event in its x-event-name header, which the bus
//     wrote when it first arrived;
//   - any other way (the default exchange, an exchange an administrator
//     bound): forged.
//
// A forged delivery is parked at once, with the reason ReasonForged, and
// no handler runs.

// arrival is what a delivery stands for, by the way it came.
type arrival struct {
	name   string // the event name: the routed one, or the one the bus kept
	own    bool   // the bus itself sent it on
	forged string // why it is forged; "" if it is not (yet: see forgedPublisher)
}

// arrive tells what d stands for.
func (c *consumer) arrive(d amqp.Delivery) arrival {
	switch d.Exchange {
	case c.cfg.Exchange:
		a := arrival{name: d.RoutingKey}
		if d.Type != d.RoutingKey {
			a.forged = fmt.Sprintf("routed as %s but typed %q", d.RoutingKey, d.Type)
		} else if h := foreignHeader(d); h != "" {
			a.forged = fmt.Sprintf("carries the header %s, which only the bus or the broker writes", h)
		}
		return a
	case requeueExchange(c.cfg.Queue):
		// A copy sent on by an earlier version has no x-event-name; its
		// type is its event, as that version dispatched on it.
		name := stringHeader(d, headerEventName)
		if name == "" {
			name = d.Type
		}
		return arrival{name: name, own: true}
	}
	return arrival{name: d.RoutingKey, forged: fmt.Sprintf("arrived through exchange %q, not the bus's %s", d.Exchange, c.cfg.Exchange)}
}

// foreignHeader is the first header of a publisher's message that only the
// bus or the broker writes, or "". A publisher writes traceparent,
// tracestate and x-correlation-id; the broker adds x-delivery-count to a
// redelivery.
func foreignHeader(d amqp.Delivery) string {
	for k := range d.Headers {
		switch {
		case k == headerCorrelationID, !strings.HasPrefix(strings.ToLower(k), "x-"):
		case k == headerDeliveryCount && d.Redelivered:
		default:
			return k
		}
	}
	return ""
}

// forgedPublisher says why a publisher's delivery of an event did not come
// from that event's publisher, or "": its user_id must be the broker user
// of the publisher that each handler's route names.
func (c *consumer) forgedPublisher(d amqp.Delivery, a arrival, subs []*subscription) string {
	if a.own || a.forged != "" {
		return a.forged
	}
	for _, s := range subs {
		if d.UserId != s.publisherUser {
			return fmt.Sprintf("published by user %q; %s is %s's, whose user is %q", d.UserId, a.name, s.publisher, s.publisherUser)
		}
	}
	return ""
}

// publisherUser is the broker user of the publishing service (see
// Config.PublisherUsers).
func (c Config) publisherUser(service string) string {
	if u, ok := c.PublisherUsers[service]; ok {
		return u
	}
	if u, ok := c.PublisherUsers["*"]; ok {
		return u
	}
	return service
}

// ParsePublisherUsers reads Config.PublisherUsers from its setting: a
// comma-separated list of service=user pairs ("*=guest" for every
// service not listed), e.g. EVENTBUS_PUBLISHER_USERS. An empty setting is
// an empty map: each service's user is named after it.
func ParsePublisherUsers(setting string) (map[string]string, error) {
	users := map[string]string{}
	for pair := range strings.SplitSeq(setting, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		service, user, ok := strings.Cut(pair, "=")
		service, user = strings.TrimSpace(service), strings.TrimSpace(user)
		if !ok || service == "" || user == "" {
			return nil, fmt.Errorf("publisher users: %q is not service=user", pair)
		}
		if _, dup := users[service]; dup {
			return nil, fmt.Errorf("publisher users: %s is listed twice", service)
		}
		users[service] = user
	}
	return users, nil
}
