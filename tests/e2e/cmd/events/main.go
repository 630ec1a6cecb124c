// Command events tails the event bus: every event that passes on the
// exchange, one line each, as it arrives (make events, or docker compose
// run --rm events). It listens through a queue of its own, bound to every
// routing key ("#"), that the broker names and deletes when the command
// goes (exclusive, auto-deleted): the shop's queues and messages are left
// alone.
//
//	events [-url URL] [-exchange NAME] [-body N] [-count N]
//
// A line holds the time the event was published, its name, its id, its
// correlation id, its publisher (the AMQP app id) and its body on one line,
// card numbers and security codes masked (redact.CardData) and cut after
// -body characters (0: no body). -count stops after that many events (0:
// until Ctrl-C).
//
// The flags default to the environment: RABBITMQ_URL (default the
// read-only operator user of deploy/rabbitmq/definitions.json,
// amqp://events:events-demo-password@localhost:5672/) and EVENTBUS_EXCHANGE
// (default eshop_event_bus).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"unicode"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/redact"
	amqp "github.com/rabbitmq/amqp091-go"
)

// DefaultURL is the broker as make run and compose have it, with the
// events user: it may bind a queue of its own to everything, and publish
// nothing.
const DefaultURL = "amqp://events:events-demo-password@localhost:5672/"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "events:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("events", flag.ContinueOnError)
	flags.SetOutput(stderr)
	url := flags.String("url", cmp.Or(os.Getenv("RABBITMQ_URL"), DefaultURL), "broker URL (RABBITMQ_URL)")
	exchange := flags.String("exchange", cmp.Or(os.Getenv("EVENTBUS_EXCHANGE"), rabbitmq.DefaultExchange), "event bus exchange (EVENTBUS_EXCHANGE)")
	bodyChars := flags.Int("body", 160, "show at most this many characters of each body, card data masked (0: none)")
	count := flags.Int("count", 0, "stop after this many events (0: until interrupted)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		flags.Usage()
		return fmt.Errorf("no argument expected, got %q", flags.Arg(0))
	}
	deliveries, closeConn, err := listen(*url, *exchange)
	if err != nil {
		return err
	}
	defer closeConn()
	fmt.Fprintf(stderr, "events: tailing every event on %s (Ctrl-C stops)\n", *exchange)
	for n := 0; *count == 0 || n < *count; n++ {
		select {
		case <-ctx.Done():
			return nil
		case d, ok := <-deliveries:
			if !ok {
				return errors.New("the broker closed the connection")
			}
			fmt.Fprintln(stdout, line(d, *bodyChars))
		}
	}
	return nil
}

// listen binds a broker-named, exclusive, auto-deleted queue to every
// routing key of exchange and consumes it.
func listen(url, exchange string) (<-chan amqp.Delivery, func(), error) {
	conn, err := amqp.DialConfig(url, amqp.Config{Properties: amqp.Table{"connection_name": "eshop-events-tail"}})
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the broker: %w", err)
	}
	fail := func(err error) (<-chan amqp.Delivery, func(), error) {
		conn.Close()
		return nil, nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return fail(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return fail(fmt.Errorf("declare a queue of its own: %w", err))
	}
	if err := ch.QueueBind(q.Name, "#", exchange, false, nil); err != nil {
		var amqpErr *amqp.Error
		if errors.As(err, &amqpErr) && amqpErr.Code == amqp.NotFound {
			return fail(fmt.Errorf("there is no exchange %s yet: start the shop first (make run, or docker compose up)", exchange))
		}
		return fail(fmt.Errorf("bind to every event of %s: %w", exchange, err))
	}
	deliveries, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		return fail(err)
	}
	return deliveries, func() { conn.Close() }, nil
}

// line is one event: time, name, id, correlation id, publisher, body.
func line(d amqp.Delivery, bodyChars int) string {
	name := d.Type
	if name == "" {
		name = d.RoutingKey
	}
	correlation, _ := d.Headers["x-correlation-id"].(string)
	s := fmt.Sprintf("%s %-56s id=%s corr=%s from=%s", d.Timestamp.UTC().Format("15:04:05"), name, orDash(d.MessageId), orDash(correlation), orDash(d.AppId))
	if bodyChars > 0 {
		oneLine := strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, string(redact.CardData(d.Body)))
		body := []rune(oneLine)
		if len(body) > bodyChars {
			body = append(body[:bodyChars], '…')
		}
		s += " " + string(body)
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
