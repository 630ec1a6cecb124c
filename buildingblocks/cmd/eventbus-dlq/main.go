// Command eventbus-dlq lists the messages a service parked in its
// dead-letter queue ("<queue>.dlq"), shows them, and replays them to the
// service's queue.
//
//	eventbus-dlq [-url URL] [-exchange NAME] -queue NAME list [-bodies]
//	eventbus-dlq [-url URL] [-exchange NAME] -queue NAME show ID
//	eventbus-dlq [-url URL] [-exchange NAME] -queue NAME replay [-reason R,…] [-id ID,…]
//
// list prints one line per message: its id, event name, when it was
// parked, its failed attempts and why (the kind of reason and the last
// error, on one line, cut short). With -bodies, and with show, each
// message comes in full instead, its body cut at 4 KiB and card numbers
// and security codes masked (see redact.CardData).
//
// replay moves parked messages back to the service's queue: without
// flags, those parked as failed, invalid or no-handler; with -reason, those
// parked for one of the reasons given (e.g. -reason crash-loop once the
// bug is fixed; -reason forged only for messages you vouch for); with -id,
// the messages named. The others stay parked. A message whose reason the
// bus did not write (its headers are not trusted) has the reason "" and
// moves only by -id.
//
// The flags default to the environment: RABBITMQ_URL, EVENTBUS_EXCHANGE,
// EVENTBUS_QUEUE.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/redact"
	"github.com/google/uuid"
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
		fmt.Fprintln(stderr, "usage: eventbus-dlq [flags] list [-bodies] | show ID | replay [-reason R,…] [-id ID,…]")
		flags.PrintDefaults()
	}
	cfg := rabbitmq.Config{Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	flags.StringVar(&cfg.URL, "url", cmp.Or(os.Getenv("RABBITMQ_URL"), rabbitmq.DefaultURL), "broker URL (RABBITMQ_URL)")
	flags.StringVar(&cfg.Exchange, "exchange", cmp.Or(os.Getenv("EVENTBUS_EXCHANGE"), rabbitmq.DefaultExchange), "event bus exchange (EVENTBUS_EXCHANGE)")
	flags.StringVar(&cfg.Queue, "queue", os.Getenv("EVENTBUS_QUEUE"), "the service's queue, e.g. basket (EVENTBUS_QUEUE)")
	timeout := flags.Duration("timeout", time.Minute, "give up after this long")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if cfg.Queue == "" || flags.NArg() == 0 {
		flags.Usage()
		return errors.New("a queue and a command (list, show or replay) are needed")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	cmd, cmdArgs := flags.Arg(0), flags.Args()[1:]
	switch cmd {
	case "list":
		listFlags := flag.NewFlagSet("eventbus-dlq list", flag.ContinueOnError)
		listFlags.SetOutput(stderr)
		bodies := listFlags.Bool("bodies", false, "show each message in full, its body with card data masked")
		if err := listFlags.Parse(cmdArgs); err != nil {
			return err
		}
		if listFlags.NArg() > 0 {
			flags.Usage()
			return fmt.Errorf("list takes no argument, got %q", listFlags.Arg(0))
		}
		parked, err := rabbitmq.ListDeadLetters(ctx, cfg)
		if err != nil {
			return err
		}
		if *bodies {
			for _, dl := range parked {
				writeDeadLetter(stdout, dl)
			}
		} else if err := writeList(stdout, parked); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d parked in %s\n", len(parked), rabbitmq.DeadLetterQueue(cfg.Queue))
	case "show":
		if len(cmdArgs) != 1 {
			flags.Usage()
			return errors.New("show takes the id of a parked message")
		}
		parked, err := rabbitmq.ListDeadLetters(ctx, cfg)
		if err != nil {
			return err
		}
		found := false
		for _, dl := range parked {
			if dl.ID.String() == cmdArgs[0] {
				writeDeadLetter(stdout, dl)
				found = true // a message parked twice is shown twice
			}
		}
		if !found {
			return fmt.Errorf("no message %s parked in %s", cmdArgs[0], rabbitmq.DeadLetterQueue(cfg.Queue))
		}
	case "replay":
		which, err := parseReplay(cmdArgs, stderr)
		if err != nil {
			flags.Usage()
			return err
		}
		n, err := rabbitmq.ReplayDeadLetters(ctx, cfg, which)
		fmt.Fprintf(stdout, "replayed %d from %s to %s\n", n, rabbitmq.DeadLetterQueue(cfg.Queue), cfg.Queue)
		if err != nil {
			return err
		}
	default:
		flags.Usage()
		return fmt.Errorf("unknown command %q", cmd)
	}
	return nil
}

// parseReplay reads the flags of replay: which messages it moves.
func parseReplay(args []string, stderr io.Writer) (rabbitmq.Replay, error) {
	var which rabbitmq.Replay
	replayFlags := flag.NewFlagSet("eventbus-dlq replay", flag.ContinueOnError)
	replayFlags.SetOutput(stderr)
	reasons := replayFlags.String("reason", "", "replay the messages parked for these reasons (comma-separated: failed, invalid, no-handler, crash-loop, forged)")
	ids := replayFlags.String("id", "", "replay the messages with these ids (comma-separated)")
	if err := replayFlags.Parse(args); err != nil {
		return which, err
	}
	if replayFlags.NArg() > 0 {
		return which, fmt.Errorf("replay takes no argument, got %q", replayFlags.Arg(0))
	}
	known := []rabbitmq.ParkReason{rabbitmq.ReasonFailed, rabbitmq.ReasonInvalid, rabbitmq.ReasonNoHandler, rabbitmq.ReasonCrashLoop, rabbitmq.ReasonForged}
	for r := range strings.SplitSeq(*reasons, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !slices.Contains(known, rabbitmq.ParkReason(r)) {
			return which, fmt.Errorf("replay: unknown reason %q (one of %v)", r, known)
		}
		which.Reasons = append(which.Reasons, rabbitmq.ParkReason(r))
	}
	for s := range strings.SplitSeq(*ids, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		id, err := uuid.Parse(s)
		if err != nil {
			return which, fmt.Errorf("replay: %q is no message id: %w", s, err)
		}
		which.IDs = append(which.IDs, id)
	}
	return which, nil
}

// writeList writes one line per parked message, without its body.
func writeList(out io.Writer, parked []rabbitmq.DeadLetter) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tEVENT\tPARKED\tATTEMPTS\tREASON")
	for _, dl := range parked {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", dl.ID, oneLine(dl.Name, nameWidth), parkedAt(dl),
			dl.Attempts, oneLine(string(redact.CardData([]byte(reason(dl)))), reasonWidth))
	}
	return w.Flush()
}

// writeDeadLetter writes one parked message in full, its body capped and
// with card data masked.
func writeDeadLetter(out io.Writer, dl rabbitmq.DeadLetter) {
	field := func(name, value string) {
		if value == "" {
			value = "-"
		}
		fmt.Fprintf(out, "%-13s %s\n", name+":", oneLine(string(redact.CardData([]byte(value))), 0))
	}
	// The id is the bus's UUID, never card data; masked, an id whose digits
	// look like a card number could not be found again.
	fmt.Fprintf(out, "%-13s %s\n", "id:", dl.ID)
	field("event", dl.Name)
	field("from", dl.AppID)
	field("published by", dl.PublishedBy)
	field("created", timestamp(dl.Time))
	field("parked", parkedAt(dl))
	field("attempts", fmt.Sprint(dl.Attempts))
	field("reason", string(dl.Reason))
	field("last error", dl.LastError)
	field("broker", dl.Headers["x-first-death-reason"])
	field("correlation", dl.CorrelationID)
	body := redact.CardData(dl.Body)
	fmt.Fprintf(out, "body:         %d bytes", len(dl.Body))
	if len(body) > bodyLimit {
		body = cut(body, bodyLimit)
		fmt.Fprintf(out, ", card data masked, the first %d shown", len(body))
	}
	fmt.Fprintf(out, "\n%s\n\n", printable(body))
}

const (
	// bodyLimit is how much of a body writeDeadLetter shows.
	bodyLimit = 4 << 10
	// nameWidth and reasonWidth bound the event name and the reason of a
	// list line, so that one message is one line of a wide terminal.
	nameWidth   = 60
	reasonWidth = 100
)

// reason is why a message was parked, in a few words and the last error.
func reason(dl rabbitmq.DeadLetter) string {
	switch {
	case dl.Reason == "" && dl.LastError == "":
		return "broker: " + dl.Headers["x-first-death-reason"]
	case dl.Reason == "":
		return dl.LastError
	case dl.LastError == "":
		return string(dl.Reason)
	}
	return string(dl.Reason) + ": " + dl.LastError
}

func parkedAt(dl rabbitmq.DeadLetter) string { return timestamp(dl.ParkedAt) }

func timestamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
