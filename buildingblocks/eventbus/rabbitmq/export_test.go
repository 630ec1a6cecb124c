package rabbitmq

import (
	"context"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/trace"
)

// CrashLoopDeliveries is crashLoopDeliveries, for the tests.
const CrashLoopDeliveries = crashLoopDeliveries

// TraceEvent traces one event as the bus does, without a broker: the
// publish span of m (its context into the headers, its attributes), then
// the process span of its delivery (the context out of the AMQP headers,
// the span, its attributes), acked.
func TraceEvent(ctx context.Context, tracer trace.Tracer, exchange string, m eventbus.Message) {
	sent, span := startPublish(ctx, tracer, m)
	endPublish(span, exchange, sent, nil)
	headers := make(amqp.Table, len(sent.Headers))
	for k, v := range sent.Headers {
		headers[k] = v
	}
	c := &consumer{handlerCtx: ctx, tracer: tracer, cfg: Config{Exchange: exchange}}
	_, process := c.startProcess(amqp.Delivery{Headers: headers}, sent, 1)
	endProcess(process, OutcomeAck, nil)
}

// TraceEventSpansOnly makes the two spans of TraceEvent, with the same
// names, kinds and attributes made up front, and propagates nothing: the
// SDK's part of TraceEvent.
func TraceEventSpansOnly(ctx context.Context, tracer trace.Tracer, exchange string, m eventbus.Message) {
	publish := messagingAttributes(publishOperation, exchange, m, 0)
	process := append(messagingAttributes(processOperation, exchange, m, 2), attemptKey.Int(1), outcomeKey.String(OutcomeAck))
	pctx, span := tracer.Start(ctx, publishSpanNames.of(m.Name), producerKind, trace.WithAttributes(publish...))
	span.End()
	_, span = tracer.Start(pctx, processSpanNames.of(m.Name), consumerKind, trace.WithAttributes(process...))
	span.End()
}
