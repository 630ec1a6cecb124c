package rabbitmq

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/tracing"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the bus's spans.
const tracerName = "github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"

// Attributes of a process span that the semantic conventions have no name
// for: the attempt (1 for the first, see eventbus.Message.Attempt) and how
// the delivery was settled (an Outcome*, as the metrics count it).
const (
	attemptKey = attribute.Key("eshop.messaging.attempt")
	outcomeKey = attribute.Key("eshop.messaging.outcome")
	// On the span's event "retry": the delay before the next attempt; on
	// "dead_letter": the ParkReason.
	retryInKey = attribute.Key("eshop.messaging.retry_in")
	reasonKey  = attribute.Key("eshop.messaging.parked_reason")
)

// settledAsAgain is the outcome of a delivery that could not be settled
// (the link went away while sending it on): it comes again.
const settledAsAgain = "redelivered"

// settledAs is outcome if the delivery was settled (ok), else
// settledAsAgain.
func settledAs(outcome string, ok bool) string {
	if ok {
		return outcome
	}
	return settledAsAgain
}

// tableCarrier reads and writes the W3C trace context in the headers of an
// AMQP message.
type tableCarrier amqp.Table

func (c tableCarrier) Get(key string) string {
	s, _ := c[key].(string)
	return s
}

func (c tableCarrier) Set(key, value string) { c[key] = value }

func (c tableCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// spanNames holds the names of the spans of one operation per event name
// ("publish OrderStartedIntegrationEvent"), made once rather than once per
// message. Readers take the current map without a lock; a new name
// replaces it with a copy.
type spanNames struct {
	operation string
	mu        sync.Mutex
	names     atomic.Pointer[map[string]string]
}

// maxSpanNames bounds a spanNames: past it (a program publishing under
// ever new names), names are made per message.
const maxSpanNames = 1024

var (
	publishSpanNames = &spanNames{operation: "publish"}
	processSpanNames = &spanNames{operation: "process"}
)

// of returns the span name of event.
func (n *spanNames) of(event string) string {
	if names := n.names.Load(); names != nil {
		if name, ok := (*names)[event]; ok {
			return name
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	old := n.names.Load()
	if old != nil {
		if name, ok := (*old)[event]; ok {
			return name
		}
		if len(*old) >= maxSpanNames {
			return n.operation + " " + event
		}
	}
	names := make(map[string]string, 1)
	if old != nil {
		names = maps.Clone(*old)
	}
	name := n.operation + " " + event
	names[event] = name
	n.names.Store(&names)
	return name
}

// The attributes of the publish and the process spans that do not depend on
// the message.
var (
	publishOperation = []attribute.KeyValue{
		semconv.MessagingSystemRabbitMQ, semconv.MessagingOperationName("publish"), semconv.MessagingOperationTypeSend,
	}
	processOperation = []attribute.KeyValue{
		semconv.MessagingSystemRabbitMQ, semconv.MessagingOperationName("process"), semconv.MessagingOperationTypeProcess,
	}
)

// messagingAttributes are the attributes of the publish or the process
// span (operation: publishOperation, processOperation) of message m, with
// room for extra more. They are set on a span in one go, when it ends: one
// slice, of the right size, rather than one per option and a larger one
// for each attribute added later. (The sampler, parent-based or by trace
// id ratio, reads none of them.)
func messagingAttributes(operation []attribute.KeyValue, exchange string, m eventbus.Message, extra int) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, len(operation)+3+extra)
	attrs = append(attrs, operation...)
	return append(attrs,
		semconv.MessagingDestinationName(exchange),
		semconv.MessagingRabbitMQDestinationRoutingKey(m.Name),
		semconv.MessagingMessageID(m.ID.String()))
}

var producerKind = trace.WithSpanKind(trace.SpanKindProducer)

// startPublish starts the producer span "publish <event>" of m and
// returns a copy of m whose headers carry the span's context, for the
// consumer's span to be its child. A message whose headers already carry
// a trace context (the outbox's, of the transaction that stored it)
// continues that trace; any other continues ctx's.
func startPublish(ctx context.Context, tracer trace.Tracer, m eventbus.Message) (eventbus.Message, trace.Span) {
	sctx, span := tracer.Start(tracing.Extract(ctx, m.Headers), publishSpanNames.of(m.Name), producerKind)
	m.Headers = tracing.WithHeaders(sctx, m.Headers)
	return m, span
}

// startPublishBatch is startPublish for each of msgs.
func startPublishBatch(ctx context.Context, tracer trace.Tracer, msgs []eventbus.Message) ([]eventbus.Message, []trace.Span) {
	traced := make([]eventbus.Message, len(msgs))
	spans := make([]trace.Span, len(msgs))
	for i, m := range msgs {
		traced[i], spans[i] = startPublish(ctx, tracer, m)
	}
	return traced, spans
}

// endPublish sets the attributes of the span of m's publish to exchange,
// which returned err, and ends it.
func endPublish(span trace.Span, exchange string, m eventbus.Message, err error) {
	if !span.IsRecording() {
		span.End()
		return
	}
	span.SetAttributes(messagingAttributes(publishOperation, exchange, m, 0)...)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// processSpan is the consumer span of a delivery, with what its
// attributes are made of when it ends.
type processSpan struct {
	trace.Span
	exchange string
	m        eventbus.Message
	attempt  int
}

var consumerKind = trace.WithSpanKind(trace.SpanKindConsumer)

// startProcess starts the consumer span "process <event>" of a delivery,
// the child of its publish span (the delivery's traceparent header); the
// handlers run with the context it returns, so their SQL and the events
// they cause are its children.
func (c *consumer) startProcess(d amqp.Delivery, m eventbus.Message, attempt int) (context.Context, processSpan) {
	ctx := tracing.Propagator.Extract(c.handlerCtx, tableCarrier(d.Headers))
	ctx, span := c.tracer.Start(ctx, processSpanNames.of(m.Name), consumerKind)
	return ctx, processSpan{Span: span, exchange: c.cfg.Exchange, m: m, attempt: attempt}
}

// endProcess records how the delivery was settled on its span, with the
// span's attributes, and ends it: a failed attempt (retry) or a parked
// message (dead_letter) is an error, with the handler's error as an
// exception event and, for a retry, an event "retry" saying when the next
// attempt comes.
func endProcess(span processSpan, outcome string, failure error, attrs ...attribute.KeyValue) {
	if !span.IsRecording() {
		span.End()
		return
	}
	span.SetAttributes(append(messagingAttributes(processOperation, span.exchange, span.m, 2),
		attemptKey.Int(span.attempt), outcomeKey.String(outcome))...)
	switch outcome {
	case OutcomeRetry, OutcomeDeadLetter, settledAsAgain:
		span.AddEvent(outcome, trace.WithAttributes(attrs...))
		if failure != nil {
			// As the bus logs it: a handler's error may quote the event.
			span.RecordError(errors.New(lastError(failure)))
			span.SetStatus(codes.Error, lastError(failure))
		} else {
			span.SetStatus(codes.Error, outcome)
		}
	}
	span.End()
}
