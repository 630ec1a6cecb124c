package rabbitmq

import (
	"context"
	"errors"
	"maps"

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

// messagingAttributes are what the publish and the process span of one
// message have in common.
func messagingAttributes(exchange string, m eventbus.Message) []attribute.KeyValue {
	return []attribute.KeyValue{
		semconv.MessagingSystemRabbitMQ,
		semconv.MessagingDestinationName(exchange),
		semconv.MessagingRabbitMQDestinationRoutingKey(m.Name),
		semconv.MessagingMessageID(m.ID.String()),
	}
}

// startPublish starts a producer span "publish <event>" for each message
// and returns copies of the messages whose headers carry their span's
// context, for the consumer's span to be its child. A message whose
// headers already carry a trace context (the outbox's, of the transaction
// that stored it) continues that trace; any other continues ctx's.
func startPublish(ctx context.Context, tracer trace.Tracer, exchange string, msgs []eventbus.Message) ([]eventbus.Message, []trace.Span) {
	traced := make([]eventbus.Message, len(msgs))
	spans := make([]trace.Span, len(msgs))
	for i, m := range msgs {
		sctx, span := tracer.Start(tracing.Extract(ctx, m.Headers), "publish "+m.Name,
			trace.WithSpanKind(trace.SpanKindProducer),
			trace.WithAttributes(messagingAttributes(exchange, m)...),
			trace.WithAttributes(semconv.MessagingOperationName("publish"), semconv.MessagingOperationTypeSend))
		if sc := span.SpanContext(); sc.IsValid() {
			m.Headers = tracing.SetHeaders(sctx, maps.Clone(m.Headers))
		}
		traced[i], spans[i] = m, span
	}
	return traced, spans
}

// endPublish ends the spans of a publish that returned err.
func endPublish(spans []trace.Span, err error) {
	for _, span := range spans {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// startProcess starts the consumer span "process <event>" of a delivery,
// the child of its publish span (the delivery's traceparent header); the
// handlers run with the context it returns, so their SQL and the events
// they cause are its children.
func (c *consumer) startProcess(d amqp.Delivery, m eventbus.Message, attempt int) (context.Context, trace.Span) {
	ctx := tracing.Propagator.Extract(c.handlerCtx, tableCarrier(d.Headers))
	return c.tracer.Start(ctx, "process "+m.Name,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(messagingAttributes(c.cfg.Exchange, m)...),
		trace.WithAttributes(semconv.MessagingOperationName("process"), semconv.MessagingOperationTypeProcess,
			attemptKey.Int(attempt)))
}

// endProcess records how the delivery was settled on its span and ends
// it: a failed attempt (retry) or a parked message (dead_letter) is an
// error, with the handler's error as an exception event and, for a retry,
// an event "retry" saying when the next attempt comes.
func endProcess(span trace.Span, outcome string, failure error, attrs ...attribute.KeyValue) {
	span.SetAttributes(outcomeKey.String(outcome))
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
