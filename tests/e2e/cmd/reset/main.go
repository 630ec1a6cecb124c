// Command reset drops what the shop keeps between runs of `make run`, so
// that the next start seeds afresh: the services' databases, their queues
// (each service's queue with its wait and dead-letter queues and
// exchanges) and the event-bus exchange. The database roles and broker
// users stay: they are the setup, not the data. It asks before it drops
// anything, unless -yes. (`make reset`; with compose, `docker compose down
// -v` does the same.)
//
//	reset [-yes] [-database-url URL] [-amqp-url URL] [-exchange NAME]
//	      [-databases a,b] [-queues a,b]
//
// The defaults are the shop's names on the local servers, as make run
// uses them; the operator's users connect (postgres, guest).
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "reset:", err)
		}
		os.Exit(1)
	}
}

// target is what reset drops.
type target struct {
	databases []string
	exchange  string
	queues    []string // the services' queues, each with its companions
}

// brokerObjects are the queues and exchanges of t: what the event bus
// declares for each service queue (buildingblocks/eventbus/rabbitmq:
// "<queue>.wait", "<queue>.dlx", "<queue>.dlq", "<queue>.requeue"), and
// the exchange.
func (t target) brokerObjects() (queues, exchanges []string) {
	for _, q := range t.queues {
		queues = append(queues, q, q+".wait", q+".dlq")
		exchanges = append(exchanges, q+".dlx", q+".requeue")
	}
	return queues, append(exchanges, t.exchange)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("reset", flag.ContinueOnError)
	flags.SetOutput(stderr)
	yes := flags.Bool("yes", false, "drop without asking")
	dbURL := flags.String("database-url", cmp.Or(os.Getenv("RESET_DATABASE_URL"), "postgres://postgres@localhost:5432/postgres?sslmode=disable"), "PostgreSQL, as a role that may drop the databases (RESET_DATABASE_URL)")
	amqpURL := flags.String("amqp-url", cmp.Or(os.Getenv("RESET_RABBITMQ_URL"), "amqp://guest:guest@localhost:5672/"), "RabbitMQ, as a user that may delete the queues and exchanges (RESET_RABBITMQ_URL)")
	exchange := flags.String("exchange", cmp.Or(os.Getenv("EVENTBUS_EXCHANGE"), rabbitmq.DefaultExchange), "the event-bus exchange")
	databases := flags.String("databases", "identitydb,catalogdb,basketdb,orderingdb", "the databases, comma-separated")
	queues := flags.String("queues", "catalog,basket,ordering,payment,webapp", "the services' queues, comma-separated")
	if err := flags.Parse(args); err != nil {
		return err
	}
	t := target{databases: split(*databases), exchange: *exchange, queues: split(*queues)}
	brokerQueues, brokerExchanges := t.brokerObjects()
	fmt.Fprintf(stdout, "reset drops the databases %s, the queues %s and the exchanges %s: every order, basket, price and user the shop has.\n",
		strings.Join(t.databases, ", "), strings.Join(brokerQueues, ", "), strings.Join(brokerExchanges, ", "))
	if !*yes {
		fmt.Fprint(stdout, "Type yes to go on: ")
		answer, _ := bufio.NewReader(stdin).ReadString('\n')
		if strings.TrimSpace(answer) != "yes" {
			return errors.New("nothing dropped")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := dropDatabases(ctx, *dbURL, t.databases, stdout); err != nil {
		return err
	}
	if err := deleteBrokerObjects(*amqpURL, brokerQueues, brokerExchanges, stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "done: the next start creates and seeds them afresh")
	return nil
}

func dropDatabases(ctx context.Context, url string, names []string, out io.Writer) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	for _, name := range names {
		// FORCE: a service still connected (the shop should be stopped)
		// loses its connections.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		fmt.Fprintf(out, "dropped database %s\n", name)
	}
	return nil
}

func deleteBrokerObjects(url string, queues, exchanges []string, out io.Writer) error {
	conn, err := amqp.DialConfig(url, amqp.Config{Properties: amqp.Table{"connection_name": "eshop-reset"}})
	if err != nil {
		return fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	// Deleting what is not there succeeds: nothing to check first.
	for _, q := range queues {
		if _, err := ch.QueueDelete(q, false, false, false); err != nil {
			return fmt.Errorf("delete queue %s: %w", q, err)
		}
		fmt.Fprintf(out, "deleted queue %s\n", q)
	}
	for _, x := range exchanges {
		if err := ch.ExchangeDelete(x, false, false); err != nil {
			return fmt.Errorf("delete exchange %s: %w", x, err)
		}
		fmt.Fprintf(out, "deleted exchange %s\n", x)
	}
	return nil
}

func split(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
