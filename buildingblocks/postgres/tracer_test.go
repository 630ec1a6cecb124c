package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel"
)

// A transaction run in a span shows its statements, each once, and not
// its BEGIN and COMMIT nor the statements' preparation; the span it ran
// in is not ended by them.
func TestPoolTracesStatementsNotTransactionControl(t *testing.T) {
	tp, rec := testkit.RecordSpans(t)
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	ctx := context.Background()
	pool, err := postgres.NewPool(ctx, testkit.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(ctx); err != nil { // connected outside the span
		t.Fatal(err)
	}

	ctx, span := tp.Tracer("test").Start(ctx, "handler")
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE TABLE t (id int)"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO t VALUES ($1)", 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !span.IsRecording() {
		t.Fatal("the handler's span was ended by its transaction's statements")
	}
	span.End()

	var names []string
	for _, s := range rec.Ended() {
		if s.Name() != "handler" && s.Parent().SpanID() != span.SpanContext().SpanID() {
			t.Errorf("span %q is not the handler's child", s.Name())
		}
		names = append(names, s.Name())
	}
	want := []string{"query CREATE", "query INSERT", "handler"}
	if !slices.Equal(names, want) {
		t.Errorf("spans %q, want %q", names, want)
	}
}
