// Package eventbus is the event-bus abstraction the services talk through.
//
// A service publishes integration events and subscribes handlers to the events
// of other services by name. It never learns who consumes what it publishes.
// The package holds the envelope every event travels in ([Message]), the
// [Bus] interface that transports implement (see the rabbitmq and inmem
// subpackages) and typed helpers ([Subscribe], [Publish]) that turn Go structs
// into messages and back.
//
// Event types themselves live with the service that owns them: a publisher and
// each of its consumers declare their own struct for the same wire format.
package eventbus
