// Package payment is the payment domain, as small as eShop's: a charge
// succeeds or fails by configuration, and the answer to an order's charge
// has an id derived from the request, so that answering twice (after a
// crash between publishing the answer and acknowledging the request) sends
// the same event twice, which ordering's inbox drops.
package payment

import "github.com/google/uuid"

// answerNamespace is the UUID namespace of answer ids. Changing it would
// give the answers to redelivered requests new ids across a release.
var answerNamespace = uuid.MustParse("b3c1f7a2-5d0e-4c53-9a57-7e3c2f0d9b41")

// AnswerID is the id of the answer named answerName to the event requestID:
// always the same for the same pair (a name-based UUID, version 5).
func AnswerID(requestID uuid.UUID, answerName string) uuid.UUID {
	return uuid.NewSHA1(answerNamespace, []byte(requestID.String()+answerName))
}
