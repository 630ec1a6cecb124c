// Package rabbitmq is the RabbitMQ (AMQP 0-9-1) transport of the event bus,
// as the transport table of the wire contract (events.md) describes it.
//
// Topology. Every service publishes to one durable direct exchange; the
// routing key is the event name. A consuming service has one durable quorum
// queue, bound to the exchange once per event name it handles (on the first
// Subscribe of the name; unbound when its last handler unsubscribes). The
// queue dead-letters to "<queue>.dlx", a fanout exchange bound to the quorum
// queue "<queue>.dlq".
//
// Publishing. Messages are persistent and carry content_type, message_id
// (the event id), type (the event name), timestamp, app_id and the headers
// x-correlation-id, traceparent and tracestate. Publisher confirms are always
// on and pipelined: Publish returns once the broker confirmed, while other
// goroutines keep publishing on the same channels.
//
// Consuming. A separate connection, bounded prefetch, a bounded number of
// handlers at once, manual ack once every handler of the message returned
// nil. Deliveries are dispatched on the AMQP type (the routing key of a
// replayed dead letter is the queue name). A failing handler is retried
// with exponential backoff; after MaxAttempts (counting earlier deliveries,
// from the quorum queue's x-delivery-count) the message is parked in the
// dead-letter queue, where [ListDeadLetters] shows it and
// [ReplayDeadLetters] puts it back.
//
// Failures. Both connections come back by themselves, with backoff, after
// the broker or the network went away: the topology is declared again, the
// bindings re-applied, consuming resumes, and publishes that were not
// confirmed are sent again. Delivery is at least once: consumers must be
// idempotent (see the inbox package).
package rabbitmq
