package redact

import (
	"regexp"
	"testing"
)

func TestCardData(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"no card data", `{"UserId":"bob","Total":12.50}`, `{"UserId":"bob","Total":12.50}`},
		{"eShop's card fields",
			`{"CardNumber":"4012888888881881","CardSecurityNumber":"123","CardHolderName":"Bob"}`,
			`{"CardNumber":"[masked]","CardSecurityNumber":"[masked]","CardHolderName":"Bob"}`},
		{"keys in any case and spelling, at any depth, any value",
			`{"a":[{"cardNumber":4012888888881881},{"card_number":"x"}],"b":{"securityCode":123,"CVV":"999","cvc2":"1","PAN":{"x":1}}}`,
			`{"a":[{"cardNumber":"[masked]"},{"card_number":"[masked]"}],"b":{"securityCode":"[masked]","CVV":"[masked]","cvc2":"[masked]","PAN":"[masked]"}}`},
		{"a key written with escapes", `{"Card\u004eumber":"1"}`, `{"CardNumber":"[masked]"}`},
		{"the card's last four and type are not card data",
			`{"CardLast4":"1881","CardTypeId":1,"Company":"x"}`, `{"CardLast4":"1881","CardTypeId":1,"Company":"x"}`},
		{"order and numbers kept, HTML not escaped", ` {"z":1e3, "a":"<&>"} `, `{"z":1e3,"a":"<&>"}`},
		{"a card number under another key", `{"Note":"card 4012888888881881 ok"}`, `{"Note":"card ************1881 ok"}`},
		{"a card number written with escapes", `{"Note":"\u0034012888888881881"}`, `{"Note":"************1881"}`},
		{"spaces and dashes", `pay 4012 8888-8888 1881.`, `pay **** ****-**** 1881.`},
		{"13 digits", `4222222222222`, `*********2222`},
		{"19 digits", `6011000000000000004`, `***************0004`},
		{"a longer run", `12345678901234567890123`, `*******************0123`},
		{"12 digits stay", `{"n":123456789012}`, `{"n":123456789012}`},
		{"a run ends at anything else", `1234567,1234567 1234.5678901234`, `1234567,1234567 1234.5678901234`},
		{"separators at the end", `4012888888881881 - `, `************1881 - `},
		{"not JSON", `CardNumber=4012888888881881&cvv=1`, `CardNumber=************1881&cvv=1`},
		{"JSON values one after another", `{"cvv":"1"} {"cvv":"2"}`, "{\"cvv\":\"[masked]\"}\n{\"cvv\":\"[masked]\"}"},
		{"JSON, then something else", `{"cvv":"1"} x`, `{"cvv":"1"} x`},
		{"empty", ``, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(CardData([]byte(tc.body))); got != tc.want {
				t.Errorf("CardData(%s)\n got %s\nwant %s", tc.body, got, tc.want)
			}
		})
	}
}

// cardLike is a run of 13 or more digits, spaces and dashes between them
// allowed: what CardData must never leave.
var cardLike = regexp.MustCompile(`[0-9](?:[ -]*[0-9]){12}`)

func FuzzCardData(f *testing.F) {
	for _, seed := range []string{
		`{"CardNumber":"4012888888881881","CardSecurityNumber":"123"}`,
		`4012 8888 8888 1881`, `1-2-3-4-5-6-7-8-9-0-1-2-3`, `{"a":[1,2,{"cvv":[3]}]}`,
		`{"Note":"\u00340128888888818810"}`, `[[[[[[`, "\xff4012888888881881\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := CardData(body)
		if run := cardLike.Find(got); run != nil {
			t.Errorf("CardData(%q) = %q, leaves %q", body, got, run)
		}
	})
}

// jwe is the shape of a payment token (a compact JWE, "dir": its second
// part is empty) as payment seals it.
const jwe = `eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwidHlwIjoiSldUIn0..q1w2e3r4t5y6u7i8.Zm9vYmFyYmF6cXV4LWNpcGhlcnRleHQ_cGF5bWVudA.dGFnLXRhZy10YWctdGFn`

func TestPaymentTokens(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"the event's field", `{"OrderId":7,"PaymentToken":"` + jwe + `","Total":1.00}`, `{"OrderId":7,"PaymentToken":"[masked]","Total":1.00}`},
		{"any token key, any value", `{"paymentToken":"x","payment_token":1,"access_token":"a.b.c","Refresh-Token":{"k":"v"}}`,
			`{"paymentToken":"[masked]","payment_token":"[masked]","access_token":"[masked]","Refresh-Token":"[masked]"}`},
		{"a token under another key", `{"Note":"token ` + jwe + ` used"}`, `{"Note":"token [masked] used"}`},
		{"a token in an error's text", `charge order 7 with ` + jwe + `: declined`, `charge order 7 with [masked]: declined`},
		{"a token in a JSON body that does not parse", `{"PaymentToken":"` + jwe + `"`, `{"PaymentToken":"[masked]"`},
		{"an id with dots is not a token", `{"Note":"v1.2.3.4.5 and eyJ.a"}`, `{"Note":"v1.2.3.4.5 and eyJ.a"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(CardData([]byte(tc.body))); got != tc.want {
				t.Errorf("CardData(%s)\n got %s\nwant %s", tc.body, got, tc.want)
			}
		})
	}
}

// jweLike is a payment token's shape (compactJWE): what CardData must
// never leave either.
var jweLike = regexp.MustCompile(`[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{16}[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{16}[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{16}`)

func FuzzPaymentTokens(f *testing.F) {
	for _, seed := range []string{
		`{"PaymentToken":"` + jwe + `"}`, jwe, jwe + jwe, `{"a":"` + jwe + `.` + jwe + `"}`, `"\u0065yJ` + jwe[3:] + `"`,
		`{"x":"eyJ` + jwe[3:] + `"} x`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := CardData(body)
		if tok := jweLike.Find(got); tok != nil {
			t.Errorf("CardData(%q) = %q, leaves %q", body, got, tok)
		}
	})
}
