package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/inbox"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// queueBehindBusyTransactions occupies every transaction of b with a call
// that waits for the returned release, then starts each of calls on its own
// goroutine and returns once all of them wait in b's queue; their errors
// are in errs once wg is done.
func queueBehindBusyTransactions(t *testing.T, b *inbox.Batcher, calls []func() error) (release func(), errs []error, wg *sync.WaitGroup) {
	t.Helper()
	ctx := context.Background()
	gate := make(chan struct{})
	wg = &sync.WaitGroup{}
	for i := range inbox.MaxTransactions {
		started := make(chan struct{})
		wg.Go(func() {
			err := b.Handle(ctx, uuid.New(), func(ctx context.Context, tx pgx.Tx) error {
				close(started)
				<-gate
				return nil
			})
			if err != nil {
				t.Errorf("busy call %d: %v", i, err)
			}
		})
		<-started // each takes a transaction of its own
	}
	errs = make([]error, len(calls))
	for i, call := range calls {
		wg.Go(func() { errs[i] = call() })
	}
	testkit.WaitFor(t, "every call queued", func() bool { return b.Waiting() == len(calls) })
	return func() { close(gate) }, errs, wg
}

func TestCallsInFlightTogetherShareATransaction(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, counters)
	b := inbox.NewBatcher(pool, "test.count")

	const n = 40
	var mu sync.Mutex
	txids := map[int64]bool{}
	calls := make([]func() error, n)
	for i := range calls {
		id := uuid.New()
		calls[i] = func() error {
			return b.Handle(ctx, id, func(ctx context.Context, tx pgx.Tx) error {
				var txid int64
				if err := tx.QueryRow(ctx, "SELECT txid_current()").Scan(&txid); err != nil {
					return err
				}
				mu.Lock()
				txids[txid] = true
				mu.Unlock()
				return increment("c")(ctx, tx)
			})
		}
	}
	release, errs, wg := queueBehindBusyTransactions(t, b, calls)
	release()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, pool, "c"); got != n {
		t.Fatalf("counter = %d, want %d: every event handled once", got, n)
	}
	// Queued together, they fit in one batch (maxBatch is more than n).
	if len(txids) != 1 {
		t.Fatalf("%d events queued together were handled in %d transactions, want 1", n, len(txids))
	}
}

func TestABadEventInABatchFailsAloneAndTheOthersCommit(t *testing.T) {
	ctx := context.Background()
	pool := testkit.NewPool(t, counters)
	b := inbox.NewBatcher(pool, "test.count")

	const n = 30
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
	}
	ids[11] = ids[10] // a duplicate within the batch
	failing, panicking, broken := 3, 17, 25
	calls := make([]func() error, n)
	for i := range calls {
		calls[i] = func() error {
			return b.Handle(ctx, ids[i], func(ctx context.Context, tx pgx.Tx) error {
				switch i {
				case failing:
					return errors.New("bad event")
				case panicking:
					panic("a bug")
				case broken:
					_, err := tx.Exec(ctx, "SELECT * FROM no_such_table") // aborts the transaction
					return err
				}
				return increment(fmt.Sprint("c", i))(ctx, tx)
			})
		}
	}
	release, errs, wg := queueBehindBusyTransactions(t, b, calls)
	release()
	wg.Wait()

	for i, err := range errs {
		switch i {
		case failing:
			if err == nil || err.Error() != "bad event" {
				t.Errorf("failing event: err = %v, want its own error", err)
			}
		case panicking:
			if err == nil || !strings.Contains(err.Error(), "panicked: a bug") {
				t.Errorf("panicking event: err = %v, want the panic as an error", err)
			}
		case broken:
			if err == nil || !strings.Contains(err.Error(), "no_such_table") {
				t.Errorf("event whose statement failed: err = %v, want that error", err)
			}
		default:
			if err != nil {
				t.Errorf("event %d: %v", i, err)
			}
		}
	}
	for i, id := range ids {
		want := 1
		if i == failing || i == panicking || i == broken {
			want = 0
		}
		if got := inboxRows(t, pool, id); got != want {
			t.Errorf("event %d: %d inbox rows, want %d", i, got, want)
		}
		if i == 10 || i == 11 { // two copies of one event: below
			continue
		}
		if got := counter(t, pool, fmt.Sprint("c", i)); got != want {
			t.Errorf("event %d: effect %d times, want %d", i, got, want)
		}
	}
	// Whichever copy was queued first ran; the other was skipped.
	if got := counter(t, pool, "c10") + counter(t, pool, "c11"); got != 1 {
		t.Errorf("two copies of one event in a batch had %d effects, want 1", got)
	}
}
