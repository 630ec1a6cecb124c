// Command eventbus-dlq lists the messages a service parked in its
// dead-letter queue ("<queue>.dlq"), and replays them to the service's
// queue.
//
//	eventbus-dlq [-url URL] [-exchange NAME] -queue NAME list
//	eventbus-dlq [-url URL] [-exchange NAME] -queue NAME replay
//
// The flags default to the environment: RABBITMQ_URL, EVENTBUS_EXCHANGE,
// EVENTBUS_QUEUE.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "eventbus-dlq:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("eventbus-dlq", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: eventbus-dlq [flags] list|replay")
		flags.PrintDefaults()
	}
	cfg := rabbitmq.Config{Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	flags.StringVar(&cfg.URL, "url", envOr("RABBITMQ_URL", rabbitmq.DefaultURL), "broker URL (RABBITMQ_URL)")
	flags.StringVar(&cfg.Exchange, "exchange", envOr("EVENTBUS_EXCHANGE", rabbitmq.DefaultExchange), "event bus exchange (EVENTBUS_EXCHANGE)")
	flags.StringVar(&cfg.Queue, "queue", os.Getenv("EVENTBUS_QUEUE"), "the service's queue, e.g. basket (EVENTBUS_QUEUE)")
	timeout := flags.Duration("timeout", time.Minute, "give up after this long")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if cfg.Queue == "" || flags.NArg() != 1 {
		flags.Usage()
		return errors.New("a queue and one command (list or replay) are needed")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	switch flags.Arg(0) {
	case "list":
		parked, err := rabbitmq.ListDeadLetters(ctx, cfg)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tEVENT\tCREATED\tFROM\tREASON\tLAST ERROR\tCORRELATION\tBODY")
		for _, m := range parked {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Name, m.Time.Format(time.RFC3339),
				m.AppID, m.Headers["x-first-death-reason"], m.Headers["x-last-error"], m.CorrelationID, m.Body)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d parked in %s\n", len(parked), rabbitmq.DeadLetterQueue(cfg.Queue))
	case "replay":
		n, err := rabbitmq.ReplayDeadLetters(ctx, cfg)
		fmt.Fprintf(stdout, "replayed %d from %s to %s\n", n, rabbitmq.DeadLetterQueue(cfg.Queue), cfg.Queue)
		if err != nil {
			return err
		}
	default:
		flags.Usage()
		return fmt.Errorf("unknown command %q", flags.Arg(0))
	}
	return nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
