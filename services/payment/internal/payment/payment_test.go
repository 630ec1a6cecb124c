package payment_test

import (
	"testing"

	"github.com/eshop-go/eshop-go/services/payment/internal/payment"
	"github.com/google/uuid"
)

func TestAnswerIDIsDeterministicAndDistinct(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	if payment.AnswerID(a, "X") != payment.AnswerID(a, "X") {
		t.Fatal("the same request and answer gave two ids")
	}
	seen := map[uuid.UUID]bool{}
	for _, id := range []uuid.UUID{
		payment.AnswerID(a, "X"), payment.AnswerID(a, "Y"), payment.AnswerID(b, "X"), payment.AnswerID(b, "Y"), a, b,
	} {
		if seen[id] {
			t.Fatalf("id %s given twice", id)
		}
		seen[id] = true
	}
	if v := payment.AnswerID(a, "X").Version(); v != 5 {
		t.Fatalf("version %d, want 5 (name-based, SHA-1)", v)
	}
}
