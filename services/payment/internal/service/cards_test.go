package service_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/payment/internal/service"
	"github.com/google/uuid"
)

const (
	cardNumber     = "4012888888881881"
	securityNumber = "4729"
	cardsPath      = "/api/payment/cards"
	// buyer is the test's buyer: the sub of their access token, and
	// the BuyerIdentityGuid of their orders.
	buyer = "b1"
)

func cardBody() map[string]any {
	return map[string]any{
		"cardNumber": cardNumber, "cardHolderName": "Alice Smith",
		"cardExpiration":     time.Now().AddDate(2, 0, 0).UTC().Format(time.RFC3339),
		"cardSecurityNumber": securityNumber, "cardTypeId": 2, "buyerId": buyer,
	}
}

type tokenJSON struct {
	PaymentToken   string    `json:"paymentToken"`
	CardLast4      string    `json:"cardLast4"`
	CardTypeID     int       `json:"cardTypeId"`
	CardHolderName string    `json:"cardHolderName"`
	CardExpiration time.Time `json:"cardExpiration"`
	ExpiresAt      time.Time `json:"expiresAt"`
}

// securityCodeIn finds the test's security code as a value of its own (not
// inside a longer run of digits or letters, as in a uuid).
var securityCodeIn = regexp.MustCompile(`(^|[^0-9A-Za-z])` + securityNumber + `([^0-9A-Za-z]|$)`)

// checkNoCardData fails the test when text holds the test card's number or
// security code.
func checkNoCardData(t *testing.T, what, text string) {
	t.Helper()
	if strings.Contains(text, cardNumber) || securityCodeIn.MatchString(text) {
		t.Fatalf("%s holds the card number or the security code:\n%s", what, text)
	}
}

func TestTokenizeAnswersAToken(t *testing.T) {
	logs := &testkit.LogBuffer{}
	s, _ := startPayment(t, map[string]string{"LOG_LEVEL": "debug", "PAYMENT_TOKEN_TTL": "30m"}, logs)
	body := cardBody()
	var tok tokenJSON
	before := time.Now()
	res := s.Client.For(t).JSON(http.MethodPost, cardsPath, body, http.StatusCreated, &tok)
	if tok.PaymentToken == "" || tok.CardLast4 != "1881" || tok.CardTypeID != 2 || tok.CardHolderName != "Alice Smith" ||
		tok.CardExpiration.Format(time.RFC3339) != body["cardExpiration"] {
		t.Fatalf("token answer %+v for %v", tok, body)
	}
	if min, max := before.Add(30*time.Minute-time.Second), time.Now().Add(30*time.Minute); tok.ExpiresAt.Before(min) || tok.ExpiresAt.After(max) {
		t.Fatalf("expiresAt %s, want PAYMENT_TOKEN_TTL (30m) from now", tok.ExpiresAt)
	}
	checkNoCardData(t, "the answer", string(res.Body))
	checkNoCardData(t, "the log", logs.String())
	if !strings.Contains(logs.String(), `"route":"/api/payment/cards"`) {
		t.Fatalf("the request is not in the log, so the log check proves nothing:\n%s", logs.String())
	}
}

func TestTokenizeRefusesABadCard(t *testing.T) {
	logs := &testkit.LogBuffer{}
	s, _ := startPayment(t, map[string]string{"LOG_LEVEL": "debug"}, logs)
	for _, tc := range []struct {
		name, field string
		value       any
	}{
		{"a number that fails the Luhn check", "cardNumber", "4012888888881882"},
		{"a number with dashes", "cardNumber", "4012-8888-8888-1881"},
		{"no number", "cardNumber", nil},
		{"an expired card", "cardExpiration", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)},
		{"no expiration", "cardExpiration", nil},
		{"a security code of 2 digits", "cardSecurityNumber", "47"},
		{"a security code of 5 digits", "cardSecurityNumber", "47291"},
		{"no security code", "cardSecurityNumber", nil},
		{"an unknown card type", "cardTypeId", 99},
		{"no holder", "cardHolderName", ""},
		{"no buyer", "buyerId", nil},
		{"an empty buyer", "buyerId", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := cardBody()
			if tc.value == nil {
				delete(body, tc.field)
			} else {
				body[tc.field] = tc.value
			}
			p := s.Client.For(t).Problem(http.MethodPost, cardsPath, body, http.StatusBadRequest)
			if len(p.Errors[tc.field]) == 0 {
				t.Fatalf("the problem %+v does not name %s", p, tc.field)
			}
			checkNoCardData(t, "the problem", p.Detail+strings.Join(p.Errors[tc.field], " "))
		})
	}
	for name, body := range map[string]string{"not JSON": `{"cardNumber":`, "an array": `[]`, "empty": ``} {
		t.Run(name, func(t *testing.T) {
			s.Client.For(t).Problem(http.MethodPost, cardsPath, body, http.StatusBadRequest)
		})
	}
	checkNoCardData(t, "the log", logs.String())
}

// The storefront's page calls payment from its own origin: the preflight
// and the answer allow that origin, and no other.
func TestTokenizeAllowsTheStorefrontOrigin(t *testing.T) {
	s, _ := startPayment(t, map[string]string{"PAYMENT_CORS_ORIGINS": "http://shop.test:8080"}, nil)
	preflight := func(origin string) http.Header {
		req, err := http.NewRequest(http.MethodOptions, s.URL+cardsPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header
	}
	if h := preflight("http://shop.test:8080"); h.Get("Access-Control-Allow-Origin") != "http://shop.test:8080" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), http.MethodPost) {
		t.Fatalf("preflight from the storefront: %v", h)
	}
	if h := preflight("http://evil.test"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %v", h)
	}
	res := s.Client.For(t).Do(http.MethodPost, cardsPath, cardBody(), "Origin", "http://shop.test:8080")
	if res.Status != http.StatusCreated || res.Header.Get("Access-Control-Allow-Origin") != "http://shop.test:8080" {
		t.Fatalf("POST from the storefront: %d %v", res.Status, res.Header)
	}
}

// Payment charges the token POST /cards answered; an expired token, one
// sealed with another key and PAYMENT_SUCCEEDED=false fail the payment.
// Through the real broker.
func TestChargesTheToken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setting string // PAYMENT_SUCCEEDED
		token   func(s *testkit.ServiceUnderTest, b *broker) string
		answer  string
	}{
		{"the token POST /cards answered", "true", tokenize, succeeded},
		{"the same token, PAYMENT_SUCCEEDED=false", "false", tokenize, failed},
		{"an expired token", "true", func(_ *testkit.ServiceUnderTest, b *broker) string { return b.token(time.Now().Add(-2 * time.Hour)) }, failed},
		{"a token of another key", "true", func(*testkit.ServiceUnderTest, *broker) string { return foreignToken(t) }, failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &testkit.LogBuffer{}
			s, b := startPayment(t, map[string]string{"PAYMENT_SUCCEEDED": tc.setting}, logs)
			token := tc.token(s, b)
			requests := map[uuid.UUID]int{b.requestWith(5, token): 5}
			testkit.WaitFor(t, "the answer", func() bool { return b.answersQueued() >= 1 })
			testkit.WaitQueueDrained(t, s.Queue)
			checkAnswers(t, b.drain(), requests, tc.answer, true)
			if strings.Contains(logs.String(), token) {
				t.Fatalf("the log shows the token:\n%s", logs.String())
			}
		})
	}
}

func tokenize(s *testkit.ServiceUnderTest, _ *broker) string {
	var tok tokenJSON
	s.Client.JSON(http.MethodPost, cardsPath, cardBody(), http.StatusCreated, &tok)
	return tok.PaymentToken
}

// foreignToken is a token that another payment, with its own random key,
// answered.
func foreignToken(t *testing.T) string {
	other := testkit.StartService(t, "payment", service.New, nil, nil)
	var tok tokenJSON
	other.Client.For(t).JSON(http.MethodPost, cardsPath, cardBody(), http.StatusCreated, &tok)
	return tok.PaymentToken
}

// A payment token charges one order of the buyer it was made for, and only
// while it lives: a second order with the same token, another buyer's
// order, and a request dated within the token's life that arrives after
// its expiry all fail the payment. A request for the same order again (as
// ordering would send it after a redelivery) is charged again. Through the
// real broker.
func TestATokenChargesOneOrderOfItsBuyerWhileItLives(t *testing.T) {
	t.Run("a token used twice", func(t *testing.T) {
		s, b := startPayment(t, nil, nil)
		token := tokenize(s, b)
		first := map[uuid.UUID]int{b.requestWith(5, token): 5}
		testkit.WaitFor(t, "the answer", func() bool { return b.answersQueued() >= 1 })
		again := b.requestWith(5, token)
		testkit.WaitFor(t, "the answer", func() bool { return b.answersQueued() >= 2 })
		first[again] = 5
		second := map[uuid.UUID]int{b.requestWith(6, token): 6}
		testkit.WaitFor(t, "the answer", func() bool { return b.answersQueued() >= 3 })
		testkit.WaitQueueDrained(t, s.Queue)
		answers := b.drain()
		checkAnswers(t, answers[:2], first, succeeded, true)
		checkAnswers(t, answers[2:], second, failed, true)
	})
	t.Run("a token used by another buyer", func(t *testing.T) {
		s, b := startPayment(t, nil, nil)
		token := tokenize(s, b)
		requests := map[uuid.UUID]int{b.requestAs(5, token, "mallory", time.Now()): 5}
		testkit.WaitFor(t, "the answer", func() bool { return b.answersQueued() >= 1 })
		testkit.WaitQueueDrained(t, s.Queue)
		checkAnswers(t, b.drain(), requests, failed, true)
	})
	t.Run("an expired token, the request dated within its life", func(t *testing.T) {
		s, b := startPayment(t, nil, nil)
		sealed := time.Now().Add(-2 * time.Hour) // expired an hour ago
		requests := map[uuid.UUID]int{b.requestAs(5, b.token(sealed), buyer, sealed.Add(time.Minute)): 5}
		testkit.WaitFor(t, "the answer", func() bool { return b.answersQueued() >= 1 })
		testkit.WaitQueueDrained(t, s.Queue)
		checkAnswers(t, b.drain(), requests, failed, true)
	})
}

// TestRoutesAndOpenAPIAgree compares the routes of the real router with the
// operations of openapi.yaml, both ways.
func TestRoutesAndOpenAPIAgree(t *testing.T) {
	testkit.CheckServiceRoutes(t, "payment", service.New, "../../openapi.yaml")
}

// PAYMENT_TOKEN_KEY is a secret: a bad one is refused by name, without its
// value; a good one never reaches the logs; without one, the log says that
// tokens open only in this process.
func TestTokenKeySetting(t *testing.T) {
	const bad = "c2hvcnQta2V5"
	_, err := host.LoadConfig[service.Config]("payment", ":8084", map[string]string{"PAYMENT_TOKEN_KEY": bad})
	if err == nil || !strings.Contains(err.Error(), "PAYMENT_TOKEN_KEY") || strings.Contains(err.Error(), bad) {
		t.Fatalf("a 9-byte key: %v, want an error naming the variable and not its value", err)
	}

	logs := &testkit.LogBuffer{}
	startPayment(t, map[string]string{"LOG_LEVEL": "debug"}, logs)
	if strings.Contains(logs.String(), testTokenKey) || strings.Contains(logs.String(), "is not set") {
		t.Fatalf("the log with a key set:\n%s", logs.String())
	}
	unset := &testkit.LogBuffer{}
	testkit.StartService(t, "payment", service.New, map[string]string{"LOG_LEVEL": "debug"}, unset)
	if !strings.Contains(unset.String(), "PAYMENT_TOKEN_KEY is not set") {
		t.Fatalf("the log without a key does not say so:\n%s", unset.String())
	}
}
