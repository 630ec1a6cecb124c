package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/tests/e2e/shop"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// After the whole story, the test card's number and security code are
// nowhere but in payment's tokenization call (docs/events.md, "Card data"): in
// no row of any table of any service's database, no message of any queue
// (waiting, retrying or dead-lettered) and no log line of any service.
//
// So that each search can fail, the story also sends the card with a bad
// security code (a 400 that must not log it), and a forged checkout that
// ordering parks; and each search must find the payment token or the last
// four digits or the request id where they belong.
func TestCardDataStaysInPayment(t *testing.T) {
	ctx := context.Background()
	s := StartShop(t)
	s.WaitReady(t)
	refused := shop.TestCard
	refused.CardSecurityNumber = "47"
	var status *shop.StatusError
	if _, err := s.Client.Tokenize(ctx, "refused", refused); !errors.As(err, &status) || status.Status != http.StatusBadRequest {
		t.Fatalf("a card with a 2-digit security code: %v, want 400", err)
	}
	out, err := s.story(t).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	token := s.forgeCheckout(t, out.BuyerID)

	// What each search must find, so that it cannot pass by reading nothing.
	found := map[string]bool{}
	marks := map[string]string{"basket": out.RequestID, "ordering": `"card_last4":"1881"`}
	for service, url := range s.Databases {
		for table, rows := range tableRows(t, url) {
			for _, row := range rows {
				checkNoCard(t, service+" table "+table, row)
				found[service+" db"] = found[service+" db"] || marks[service] != "" && strings.Contains(row, marks[service])
			}
		}
	}
	for service, queue := range s.Queues {
		for _, q := range []string{queue, queue + ".wait", queue + ".dlq"} {
			for _, d := range testkit.PeekMessages(t, q) {
				m := fmt.Sprintf("%v %s", d.Headers, d.Body)
				checkNoCard(t, "queue "+q, m)
				found[service+" queues"] = found[service+" queues"] || strings.Contains(m, token)
			}
		}
	}
	for _, service := range services {
		for _, line := range strings.Split(s.Logs(service), "\n") {
			checkNoCard(t, service+"'s log", line)
		}
	}
	for _, where := range []string{"basket db", "ordering db", "ordering queues"} {
		if !found[where] {
			t.Errorf("the %s hold none of what they must (the request id, the last four, the token): the search read nothing", where)
		}
	}
}

// securityCode finds the test card's security code as a value of its own,
// not inside a longer run of letters, digits and dashes (a uuid, whose
// four-digit segments may hold its digits; a timestamp).
var securityCode = regexp.MustCompile(`(^|[^0-9A-Za-z-])` + shop.TestCard.CardSecurityNumber + `([^0-9A-Za-z-]|$)`)

func checkNoCard(t *testing.T, where, text string) {
	t.Helper()
	if strings.Contains(text, shop.TestCard.CardNumber) {
		t.Errorf("%s holds the card number: %s", where, text)
	}
	if loc := securityCode.FindStringIndex(text); loc != nil {
		t.Errorf("%s holds the security code (at %d): %s", where, loc[0], text)
	}
}

// forgeCheckout publishes a UserCheckoutAccepted without an address, as a
// forger on the shop's exchange would, with a fresh token of the test card;
// ordering parks it. It returns the token.
func (s *Shop) forgeCheckout(t *testing.T, buyer string) string {
	t.Helper()
	co := s.Checkout(t, buyer)
	id := uuid.New()
	body, err := json.Marshal(map[string]any{
		"Id": id, "CreationDate": time.Now().UTC().Format(time.RFC3339), "UserId": buyer, "RequestId": uuid.New(),
		"PaymentToken": co.PaymentToken, "CardLast4": co.CardLast4, "CardTypeId": co.CardTypeID,
		"CardHolderName": co.CardHolderName, "CardExpiration": co.CardExpiration,
		"Basket": map[string]any{"BuyerId": buyer, "Items": []any{map[string]any{"ProductId": 1, "ProductName": "x", "UnitPrice": 1, "Quantity": 1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	const name = "UserCheckoutAcceptedIntegrationEvent"
	testkit.PublishEvent(t, s.Exchange, testkit.EventMessage(name, id.String(), "forger", body))
	testkit.WaitFor(t, "ordering to park the forged checkout", func() bool { return testkit.QueueLength(t, s.Queues["ordering"]+".dlq") == 1 })
	return co.PaymentToken
}

// tableRows returns every row of every table of the database at url, each
// as its text form, by table.
func tableRows(t *testing.T, url string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
		SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := conn.Query(ctx, `SELECT row_to_json(t)::text FROM `+table+` t`)
		if err != nil {
			t.Fatal(err)
		}
		if out[table], err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The search for the security code finds it as a value of its own, and
// not as a segment of an id that happens to hold its digits.
func TestTheSecurityCodeSearchSkipsIDs(t *testing.T) {
	code := shop.TestCard.CardSecurityNumber
	for text, want := range map[string]bool{
		`{"cardSecurityNumber":"` + code + `"}`:                true,
		"security code " + code + ".":                          true,
		"request 0b6f4a3e-" + code + "-4c0e-9a59-2d6f0f6f1c11": false,
		"order 12" + code + "9":                                false,
	} {
		if got := securityCode.MatchString(text); got != want {
			t.Errorf("%q: found %v, want %v", text, got, want)
		}
	}
}
