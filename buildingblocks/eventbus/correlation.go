package eventbus

import "context"

type correlationKey struct{}

// WithCorrelationID returns a context that carries a correlation id. HTTP
// middleware sets it from the request id; transports set it on delivery from
// the message, so that events caused by a handler carry it on.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the correlation id carried by ctx, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}
