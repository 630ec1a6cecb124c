package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	checkoutAccepted = "UserCheckoutAcceptedIntegrationEvent"
	// paymentToken stands for the token payment's POST /cards answers: the
	// basket only passes it on.
	paymentToken = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVydGV4dA.dGFn"
)

// checkoutBody is a checkout's body. The basket ignores the buyer's name
// it sends, as an older client's: the name is the token's.
func checkoutBody(buyerName string) map[string]any {
	return map[string]any{
		"city": "Redmond", "street": "15703 NE 61st Ct", "state": "WA", "country": "U.S.", "zipCode": "98052",
		"paymentToken": paymentToken, "cardLast4": "1881", "cardHolderName": "Alice Smith",
		"cardExpiration": time.Now().AddDate(2, 0, 0).UTC().Format(time.RFC3339),
		"cardTypeId":     1, "buyer": buyerName,
	}
}

// orderingQueue binds a queue of the test's own to the exchange, as
// ordering would, and returns its deliveries.
func (s *basketUnderTest) orderingQueue(t *testing.T) <-chan amqp.Delivery {
	t.Helper()
	return testkit.ObserveEvents(t, s.Exchange, s.Prefix, "ordering", checkoutAccepted)
}

type acceptedEvent struct {
	ID             uuid.UUID `json:"Id"`
	CreationDate   time.Time
	UserID         string `json:"UserId"`
	UserName       string
	City           string
	Street         string
	State          string
	Country        string
	ZipCode        string
	PaymentToken   string
	CardLast4      string
	CardHolderName string
	CardExpiration time.Time
	CardTypeID     int `json:"CardTypeId"`
	Buyer          string
	RequestID      uuid.UUID `json:"RequestId"`
	Basket         struct {
		BuyerID string `json:"BuyerId"`
		Items   []struct {
			ID           string `json:"Id"`
			ProductID    int64  `json:"ProductId"`
			ProductName  string
			UnitPrice    json.Number
			OldUnitPrice json.Number
			Quantity     int
			PictureURL   string `json:"PictureUrl"`
		}
	}
}

func TestCheckoutPublishesOneUserCheckoutAccepted(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	deliveries := s.orderingQueue(t)
	s.putBasket(t, "alice", item(7, "19.50"), itemJSON{ProductID: 8, ProductName: "Cap", UnitPrice: "5.00", Quantity: 3, PictureURL: "8.png"})

	requestID := uuid.New()
	for range 2 { // the retry of a client that lost the first answer
		// The body's buyer is ignored: UserName is the token's name.
		status, body, _ := s.do(t, http.MethodPost, "/api/basket/alice/checkout", checkoutBody("Mallory"),
			"x-requestid", requestID.String(), "X-Request-Id", "corr-123")
		if status != http.StatusAccepted || strings.TrimSpace(string(body)) != `{"requestId":"`+requestID.String()+`"}` {
			t.Fatalf("checkout: %d %s", status, body)
		}
	}
	// The basket stays until the order starts.
	if b := s.getBasket(t, "alice"); len(b.Items) != 2 {
		t.Fatalf("basket after checkout: %+v", b)
	}
	// A later checkout of another buyer: its event is stored after any
	// second event of alice's, and the relay publishes in that order, so
	// once it arrives a duplicate would have arrived too.
	s.putBasket(t, "bob", item(7, "19.50"))
	bobsRequest := uuid.NewString()
	status, body, header := s.do(t, http.MethodPost, "/api/basket/bob/checkout", checkoutBody("Bob"), "x-requestid", bobsRequest)
	if status != http.StatusAccepted {
		t.Fatalf("bob's checkout: %d %s", status, body)
	}
	// Without an X-Request-Id of its own, the checkout is correlated by
	// its x-requestid: the 202 echoes that one id.
	if got := header.Get("X-Request-Id"); got != bobsRequest {
		t.Errorf("bob's 202 echoes X-Request-Id %q, want his x-requestid %s", got, bobsRequest)
	}

	var alice []amqp.Delivery
	timeout := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case d := <-deliveries:
			var e acceptedEvent
			if err := json.Unmarshal(d.Body, &e); err != nil {
				t.Fatalf("body %s: %v", d.Body, err)
			}
			switch e.UserID {
			case "alice":
				alice = append(alice, d)
			case "bob":
				if got := d.Headers["x-correlation-id"]; got != bobsRequest {
					t.Errorf("bob's event has x-correlation-id %v, want his x-requestid %s", got, bobsRequest)
				}
				done = true
			}
		case <-timeout:
			t.Fatalf("gave up waiting for the events; got %d of alice's", len(alice))
		}
	}
	if len(alice) != 1 {
		t.Fatalf("alice's checkout was published %d times, want once", len(alice))
	}

	d := alice[0]
	var e acceptedEvent
	dec := json.NewDecoder(bytes.NewReader(d.Body))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		t.Fatal(err)
	}
	if d.ContentType != "application/json" || d.DeliveryMode != amqp.Persistent || d.Type != checkoutAccepted ||
		d.AppId != "basket" || d.MessageId != e.ID.String() || d.Timestamp.IsZero() || e.ID == uuid.Nil {
		t.Errorf("properties: content_type %q delivery_mode %d type %q app_id %q message_id %q (body Id %s) timestamp %v",
			d.ContentType, d.DeliveryMode, d.Type, d.AppId, d.MessageId, e.ID, d.Timestamp)
	}
	if got := d.Headers["x-correlation-id"]; got != "corr-123" {
		t.Errorf("x-correlation-id %v, want the request's corr-123", got)
	}
	var raw map[string]any
	json.Unmarshal(d.Body, &raw)
	for _, field := range []string{"Id", "CreationDate", "UserId", "UserName", "City", "Street", "State", "Country", "ZipCode",
		"PaymentToken", "CardLast4", "CardHolderName", "CardExpiration", "CardTypeId", "Buyer", "RequestId", "Basket"} {
		if _, ok := raw[field]; !ok {
			t.Errorf("the body has no %s: %s", field, d.Body)
		}
	}
	for _, card := range []string{"CardNumber", "CardSecurityNumber"} {
		if _, ok := raw[card]; ok {
			t.Errorf("the body carries %s: %s", card, d.Body)
		}
	}
	if e.UserID != "alice" || e.Buyer != "alice" || e.Basket.BuyerID != "alice" || e.UserName != "Buyer alice" ||
		e.RequestID != requestID || e.City != "Redmond" || e.Street != "15703 NE 61st Ct" || e.State != "WA" ||
		e.Country != "U.S." || e.ZipCode != "98052" || e.PaymentToken != paymentToken || e.CardLast4 != "1881" ||
		e.CardHolderName != "Alice Smith" || e.CardTypeID != 1 || e.CardExpiration.IsZero() || e.CreationDate.IsZero() {
		t.Errorf("event fields: %s", d.Body)
	}
	if len(e.Basket.Items) != 2 {
		t.Fatalf("items: %s", d.Body)
	}
	it := e.Basket.Items[1]
	if it.ID == "" || it.ProductID != 8 || it.ProductName != "Cap" || it.UnitPrice != "5.00" || it.OldUnitPrice != "0.00" ||
		it.Quantity != 3 || it.PictureURL != "8.png" {
		t.Errorf("item %+v", it)
	}

	// The token went to ordering and nowhere else: not in the logs, which
	// were at debug level.
	logs := s.Logs.String()
	if !strings.Contains(logs, "checkout accepted") {
		t.Fatalf("the logs do not show the checkout; is this the right capture?\n%s", logs)
	}
	if strings.Contains(logs, paymentToken) {
		t.Fatalf("the payment token in the logs:\n%s", logs)
	}
}

func TestCheckoutRefusals(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	s.putBasket(t, "alice", item(7, "10.00"))
	s.putBasket(t, "bob", item(7, "10.00"))
	good := uuid.NewString()
	withField := func(field string, v any) map[string]any {
		b := checkoutBody("Alice")
		if v == nil {
			delete(b, field)
		} else {
			b[field] = v
		}
		return b
	}
	cases := []struct {
		name, buyer, requestID string
		body                   any
		status                 int
		field                  string
	}{
		{"no x-requestid", "alice", "", checkoutBody("Alice"), 400, "x-requestid"},
		{"x-requestid not a UUID", "alice", "42", checkoutBody("Alice"), 400, "x-requestid"},
		{"empty basket", "nobody", good, checkoutBody("Alice"), 400, ""},
		{"no city", "alice", good, withField("city", nil), 400, "city"},
		{"no street", "alice", good, withField("street", nil), 400, "street"},
		{"no state", "alice", good, withField("state", nil), 400, "state"},
		{"no country", "alice", good, withField("country", nil), 400, "country"},
		{"no zip code", "alice", good, withField("zipCode", nil), 400, "zipCode"},
		{"no payment token", "alice", good, withField("paymentToken", nil), 400, "paymentToken"},
		{"payment token with spaces", "alice", good, withField("paymentToken", "not a token"), 400, "paymentToken"},
		{"no last four", "alice", good, withField("cardLast4", nil), 400, "cardLast4"},
		{"last four not digits", "alice", good, withField("cardLast4", "18a1"), 400, "cardLast4"},
		{"last five", "alice", good, withField("cardLast4", "81881"), 400, "cardLast4"},
		{"a card number", "alice", good, withField("cardNumber", "4012888888881881"), 400, "cardNumber"},
		{"a security code", "alice", good, withField("cardSecurityNumber", "7310"), 400, "cardSecurityNumber"},
		{"no card holder", "alice", good, withField("cardHolderName", nil), 400, "cardHolderName"},
		{"no expiration", "alice", good, withField("cardExpiration", nil), 400, "cardExpiration"},
		{"expired", "alice", good, withField("cardExpiration", "2020-01-01T00:00:00Z"), 400, "cardExpiration"},
		{"expiration not a date", "alice", good, withField("cardExpiration", "soon"), 400, ""},
		{"no card type", "alice", good, withField("cardTypeId", nil), 400, "cardTypeId"},
		{"unknown card type", "alice", good, withField("cardTypeId", 99), 400, "cardTypeId"},
		{"card type a string", "alice", good, withField("cardTypeId", "visa"), 400, "cardTypeId"},
		{"not json", "alice", good, `{"city":`, 400, ""},
		{"bad buyer id", "a%20b", good, checkoutBody("Alice"), 400, "buyerId"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.problem(t, http.MethodPost, "/api/basket/"+c.buyer+"/checkout", c.body, c.status, c.field, "x-requestid", c.requestID)
			if text := fmt.Sprintf("%+v", p); strings.Contains(text, "4012888888881881") || strings.Contains(text, paymentToken) {
				t.Fatalf("the problem repeats the card or the token: %s", text)
			}
		})
	}
	if n := s.outboxRows(t); n != 0 {
		t.Fatalf("the refusals stored %d events", n)
	}
	// None of the refusals used up the request id.
	if status, body, _ := s.do(t, http.MethodPost, "/api/basket/alice/checkout", checkoutBody("Alice"), "x-requestid", good); status != http.StatusAccepted {
		t.Fatalf("checkout after the refusals: %d %s", status, body)
	}
	// The same request id for another buyer is a conflict.
	s.problem(t, http.MethodPost, "/api/basket/bob/checkout", checkoutBody("Bob"), 409, "", "x-requestid", good)
}

// A line the basket took before its rules were tightened (a product id
// over 32 bits, a price of 0) cannot become an order: checkout refuses it
// with 400, naming the line, and stores no event.
func TestCheckoutRefusesALineThatCannotBeOrdered(t *testing.T) {
	t.Parallel()
	s := startBasket(t)
	for _, tc := range []struct {
		name, set, field string
	}{
		{"a product id over 32 bits", "product_id = 2147483648", "items[0].productId"},
		{"a price of 0", "unit_price = 0", "items[0].unitPrice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buyer := "old-" + uuid.NewString()[:8]
			s.putBasket(t, buyer, item(7, "10.00"))
			if _, err := s.DB.Exec(context.Background(), `UPDATE basket_lines SET `+tc.set+` WHERE buyer_id = $1`, buyer); err != nil {
				t.Fatal(err)
			}
			s.problem(t, http.MethodPost, "/api/basket/"+buyer+"/checkout", checkoutBody("Old"), 400, tc.field, "x-requestid", uuid.NewString())
			if n := s.outboxRows(t); n != 0 {
				t.Fatalf("the refused checkout stored %d events", n)
			}
		})
	}
}

// outboxRows counts the events the basket stored for ordering.
func (s *basketUnderTest) outboxRows(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRow(context.Background(), `SELECT count(*) FROM integration_event_log WHERE event_name = $1`, checkoutAccepted).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
