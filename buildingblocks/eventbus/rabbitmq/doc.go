// Package rabbitmq is the RabbitMQ (AMQP 0-9-1) transport of the event bus,
// as the transport table of the wire contract (docs/events.md) describes it.
//
// Topology. Every service publishes to one durable topic exchange; the
// routing key is the event name, and binding keys are exact event names (it
// routes like a direct exchange, and lets the broker authorise publishers
// per event name). A consuming service has one durable quorum
// queue, bound to the exchange once per event name it handles (on the first
// Subscribe of the name; unbound when its last handler unsubscribes). Next
// to it: "<queue>.wait", where failed messages wait for their next attempt,
// "<queue>.dlx", a fanout exchange bound to the quorum queue
// "<queue>.dlq", where parked messages stay, and "<queue>.requeue", the
// direct exchange through which the consumer sends messages to its own
// queue and wait queue (never the default exchange, so a service's broker
// user needs no right to write into other services' queues).
//
// Publishing. Messages are persistent and carry content_type, message_id
// (the event id), type (the event name), timestamp, app_id, user_id (the
// broker user, which the broker checks) and the headers x-correlation-id,
// traceparent and tracestate. Publisher confirms are always
// on and pipelined: Publish returns once the broker confirmed, while other
// goroutines keep publishing on the same channels.
//
// Consuming. A separate connection, bounded prefetch, a bounded number of
// handlers at once, manual ack once every handler of the message, among
// those subscribed when it got its turn, returned nil. Deliveries are
// dispatched on the event name the broker routed (the routing key), or, on
// a copy the bus sent on through the queue's requeue exchange, on the name
// it kept; a message that is not what it claims to be (another type, a
// user_id not its publisher's, the bus's own headers, another exchange) is
// parked as forged (authenticity.go). A link starts with one message
// prefetched and handles each redelivered message alone (consume.go).
// Unsubscribe returns once no call of its handler runs or will start.
//
// Retries. A failing handler does not keep its message: the message is sent
// to the wait queue with its attempt (x-attempt) and the error
// (x-last-error) in its headers and a TTL of RetryBackoff, doubling with
// each attempt; when the TTL ends the wait queue dead-letters it back into
// the service queue, and it comes again to the handlers of its event name.
// Meanwhile it holds no handler slot, so the other messages keep flowing.
// After MaxAttempts failures the message is parked in the dead-letter queue
// with why, its failed attempts and when ([DeadLetter]: headers
// x-parked-reason, x-last-error, x-attempt, x-parked-at), where
// [ListDeadLetters] shows it and
// [ReplayDeadLetters] puts it back; an event a handler finds invalid
// ([eventbus.ErrInvalidEvent]) is parked at once. Attempts are handler failures: a message
// that came back unhandled (prefetched by a consumer that closed or lost
// its connection) has not failed. The broker's x-delivery-count only guards
// against a message that kills the process each time it is handled: after
// 20 deliveries without an outcome it is parked unhandled; since a
// redelivered message is handled alone, only the message that kills the
// process counts its deaths.
//
// No handler. A delivery whose event name has no handler (its last handler
// was unsubscribed while it was queued, or an earlier run of the service
// bound the name and this one does not handle it) waits UnhandledGrace for
// one, holding no handler slot, and is then parked with the reason "no
// handler for <name>"; it is never acknowledged unhandled.
//
// Tracing. Each message is published in a producer span "publish <event
// name>", the child of the trace context its headers carry (the outbox's)
// or else of the publishing ctx's span, and carries that span's context in
// its traceparent header; each delivery is handled in a consumer span
// "process <event name>", its child, with the attempt and the outcome on
// it (a retry or a parked message is an error). See Config.TracerProvider
// and docs/observability.md.
//
// Failures. Both connections come back by themselves, with backoff, after
// the broker or the network went away: the topology is declared again, the
// bindings re-applied, consuming resumes, and publishes that were not
// confirmed are sent again. Delivery is at least once: consumers must be
// idempotent (see the inbox package).
package rabbitmq
