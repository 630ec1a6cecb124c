package postgres

import (
	"context"
	"strings"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
)

// statementTracer is otelpgx's tracer without the spans that tell a
// reader little and cost as much as the statements' own: none for
// preparing a statement (pgx prepares each one the first time a
// connection runs it; the statement's span follows) and none for a
// transaction's control statements (BEGIN, COMMIT, ROLLBACK, savepoints),
// which each handler and request sends around its own SQL. In the outbox
// benchmark they were 4 of a traced event's 11 spans. A COMMIT that fails
// still shows: as the error of the span of the work that committed (the
// request's, the handler's).
type statementTracer struct {
	*otelpgx.Tracer
}

// untracedKey marks the context of a statement that has no span, for
// TraceQueryEnd not to end its caller's.
type untracedKey struct{}

func (t statementTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if transactionControl(data.SQL) {
		return context.WithValue(ctx, untracedKey{}, true)
	}
	return t.Tracer.TraceQueryStart(ctx, conn, data)
}

func (t statementTracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	if ctx.Value(untracedKey{}) != nil {
		return
	}
	t.Tracer.TraceQueryEnd(ctx, conn, data)
}

func (statementTracer) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	return ctx
}

func (statementTracer) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// transactionControl reports whether sql is a statement pgx sends to
// begin or end a transaction or a savepoint.
func transactionControl(sql string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(sql), " ")
	for _, w := range [...]string{"begin", "commit", "rollback", "savepoint", "release", "end", "abort"} {
		if strings.EqualFold(word, w) {
			return true
		}
	}
	return false
}
