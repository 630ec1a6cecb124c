// Package ordering is the ordering domain: an order, its lines, and the
// rules that move it through its statuses. It does no I/O: the store loads
// and saves orders, and the status changes an order records are turned into
// integration events by the caller, in the same transaction.
//
// The statuses and the commands that move an order between them:
//
//	Submitted ──AwaitValidation──▶ AwaitingValidation ──ConfirmStock──▶ StockConfirmed ──ConfirmPayment──▶ Paid ──Ship──▶ Shipped
//	    │                               │                                  │
//	    └────────Cancel─────────────────┴──Cancel, RejectStock─────────────┴──FailPayment──▶ Cancelled
//
// Cancel is refused from StockConfirmed on: payment may be taking the money
// then, and an order must never end Cancelled with its payment taken.
// A command that does not apply to the order's status fails with an error
// that matches ErrIllegalTransition (a 409 over HTTP, a logged no-op for a
// late or duplicated event). Cancel on an order that is already Cancelled
// succeeds and changes nothing: cancelling is idempotent.
package ordering
