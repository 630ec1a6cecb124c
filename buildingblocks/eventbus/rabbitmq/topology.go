package rabbitmq

import (
	"errors"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// deadLetterExchange is the name of the fanout exchange a queue's rejected
// messages go through: "<queue>.dlx".
func deadLetterExchange(queue string) string { return queue + ".dlx" }

// DeadLetterQueue is the name of the queue that holds a queue's parked
// messages: "<queue>.dlq".
func DeadLetterQueue(queue string) string { return queue + ".dlq" }

// waitQueue is the name of the queue where a queue's failed messages wait
// for their next attempt: "<queue>.wait".
func waitQueue(queue string) string { return queue + ".wait" }

// requeueExchange is the name of the direct exchange through which a
// queue's messages go on to "<queue>" and "<queue>.wait" (the routing key
// is the queue's name): the consumer sends failed messages to wait and
// parked ones on their way to the dead-letter queue, and the wait queue
// dead-letters expired ones back. It exists so that a service's broker
// user needs no write access to the default exchange, which would let it
// put any message into any queue.
func requeueExchange(queue string) string { return queue + ".requeue" }

// declareExchange declares the durable topic exchange all events go to, on
// a channel of its own. Binding keys are exact event names, so it routes
// like a direct exchange, and the broker can authorise each publisher per
// event name (topic permissions).
//
// A service's broker user may not declare it (deploy/rabbitmq/definitions.json
// declares it, so that no service can delete it and every binding with
// it): the broker refuses, closing the channel, and then the exchange has
// to be there already, which a passive declaration checks on another.
func declareExchange(conn *amqp.Connection, exchange string) error {
	err := onChannel(conn, func(ch *amqp.Channel) error {
		return ch.ExchangeDeclare(exchange, amqp.ExchangeTopic, true, false, false, false, nil)
	})
	if amqpErr := (*amqp.Error)(nil); errors.As(err, &amqpErr) && amqpErr.Code == amqp.AccessRefused {
		err = onChannel(conn, func(ch *amqp.Channel) error {
			return ch.ExchangeDeclarePassive(exchange, amqp.ExchangeTopic, true, false, false, false, nil)
		})
		if err != nil {
			return fmt.Errorf("exchange %s: the broker user may not declare it, and it does not exist (the operator declares it: deploy/rabbitmq/definitions.json): %w", exchange, err)
		}
	}
	return declared("exchange", exchange, "choose another EVENTBUS_EXCHANGE (and grant it to the service's broker user)", err)
}

// onChannel runs do on a new channel of conn and closes the channel.
func onChannel(conn *amqp.Connection, do func(*amqp.Channel) error) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close() // an error closed it already, or it closes now
	return do(ch)
}

// declared wraps the error of declaring kind name. The broker refuses to
// re-declare what it holds with other properties (PRECONDITION_FAILED): an
// earlier version declared the exchange direct and the wait queue
// dead-lettering through the default exchange. Then the error says what
// to do.
func declared(kind, name, orElse string, err error) error {
	var amqpErr *amqp.Error
	if errors.As(err, &amqpErr) && amqpErr.Code == amqp.PreconditionFailed {
		return fmt.Errorf("declare %s %s: the broker holds it with other properties, from an earlier version (see the README, \"Upgrading the broker\"): delete it or %s: %w", kind, name, orElse, err)
	}
	if err != nil {
		return fmt.Errorf("declare %s %s: %w", kind, name, err)
	}
	return nil
}

// declareQueue makes sure a service's queue and the queues and exchanges
// around it are there (see declareTopology). The operator declares them
// (deploy/rabbitmq/definitions.json), so that no service's user needs
// the right to configure them: with it, a user could delete its wait
// queue and declare it again dead-lettering into the shop's exchange,
// which topic permissions do not check. Where the bus's user may (tests,
// a development broker as guest) the bus declares them itself; where it
// may not (ACCESS_REFUSED), it checks passively that each is there.
func declareQueue(conn *amqp.Connection, queue string) error {
	err := onChannel(conn, func(ch *amqp.Channel) error { return declareTopology(ch, queue) })
	if amqpErr := (*amqp.Error)(nil); !errors.As(err, &amqpErr) || amqpErr.Code != amqp.AccessRefused {
		return err
	}
	for _, q := range []string{queue, waitQueue(queue), DeadLetterQueue(queue)} {
		if err := onChannel(conn, func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
			return err
		}); err != nil {
			return fmt.Errorf("queue %s: the broker user may not declare it, and it is not there (the operator declares it: deploy/rabbitmq/definitions.json): %w", q, err)
		}
	}
	for _, x := range []struct{ name, kind string }{{deadLetterExchange(queue), amqp.ExchangeFanout}, {requeueExchange(queue), amqp.ExchangeDirect}} {
		if err := onChannel(conn, func(ch *amqp.Channel) error {
			return ch.ExchangeDeclarePassive(x.name, x.kind, true, false, false, false, nil)
		}); err != nil {
			return fmt.Errorf("exchange %s: the broker user may not declare it, and it is not there (the operator declares it: deploy/rabbitmq/definitions.json): %w", x.name, err)
		}
	}
	return nil
}

// declareTopology declares a service's quorum queue and, first, where its
// dead letters go: a fanout exchange "<queue>.dlx" bound to the quorum
// queue "<queue>.dlq"; then the exchange "<queue>.requeue" and, bound to
// it, the service queue and the quorum queue "<queue>.wait", where a
// failed message waits for its next attempt: each message there has a TTL
// (its backoff), and when it expires the wait queue dead-letters it back
// into the service queue through "<queue>.requeue". A message with a short
// TTL behind one with a longer TTL waits for that one: at most
// maxRetryBackoff. deploy/rabbitmq/definitions.json declares the same for
// each service (a test keeps the two alike).
//
// Dead-lettering is at-least-once (x-dead-letter-strategy): a queue keeps a
// rejected or expired message until the queue it goes to confirmed it, so
// a parked or retried message cannot be lost on the way. That strategy
// requires the reject-publish overflow behaviour, which only matters if a
// length limit is ever set by policy.
//
// Only arguments that follow from the queue's name are fixed here: a queue
// cannot be re-declared with other arguments, so settings that may change
// (the number of attempts, the backoff) are kept by the consumer instead.
func declareTopology(ch *amqp.Channel, queue string) error {
	dlx, dlq := deadLetterExchange(queue), DeadLetterQueue(queue)
	if err := ch.ExchangeDeclare(dlx, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare dead-letter exchange %s: %w", dlx, err)
	}
	if _, err := ch.QueueDeclare(dlq, true, false, false, false, queueArguments(queue, dlq)); err != nil {
		return fmt.Errorf("declare dead-letter queue %s: %w", dlq, err)
	}
	if err := ch.QueueBind(dlq, "", dlx, false, nil); err != nil {
		return fmt.Errorf("bind dead-letter queue %s: %w", dlq, err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, queueArguments(queue, queue)); err != nil {
		return fmt.Errorf("declare queue %s: %w", queue, err)
	}
	requeue, wait := requeueExchange(queue), waitQueue(queue)
	if err := ch.ExchangeDeclare(requeue, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", requeue, err)
	}
	_, err := ch.QueueDeclare(wait, true, false, false, false, queueArguments(queue, wait))
	if err := declared("wait queue", wait, "stop the service's instances, wait 10 s for it to empty, then delete it", err); err != nil {
		return err
	}
	for _, q := range []string{queue, wait} {
		if err := ch.QueueBind(q, q, requeue, false, nil); err != nil {
			return fmt.Errorf("bind %s to %s: %w", q, requeue, err)
		}
	}
	return nil
}

// queueArguments are the arguments of the queue name among those of the
// service queue queue (itself, its wait or its dead-letter queue), as
// declareTopology declares them and definitions.json must too.
func queueArguments(queue, name string) amqp.Table {
	args := amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum}
	switch name {
	case queue:
		args["x-dead-letter-exchange"] = deadLetterExchange(queue)
	case waitQueue(queue):
		args["x-dead-letter-exchange"] = requeueExchange(queue)
		args["x-dead-letter-routing-key"] = queue
	default:
		return args
	}
	args["x-dead-letter-strategy"] = "at-least-once"
	args[amqp.QueueOverflowArg] = amqp.QueueOverflowRejectPublish
	return args
}
