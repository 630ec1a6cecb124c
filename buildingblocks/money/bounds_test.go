package money_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

// hugeNumbers are numbers shopspring/decimal would expand to thousands of
// digits (or more) as soon as an amount is compared or truncated: each
// must be refused by the parsing itself, with an error that says the
// number is out of range.
var hugeNumbers = []string{
	"1e2147483647", "1e-2147483648", "-1e2147483647", "1e10000", "1e-10000", "9e9999", "0e-9999",
	"1e21", "123456789012345678901", "0.000000000000000000001",
	"1" + strings.Repeat("0", 100000),
	"0." + strings.Repeat("0", 9990) + "1",
	"1." + strings.Repeat("0", 60),
}

func TestParseRefusesNumbersOutOfRange(t *testing.T) {
	for _, s := range hugeNumbers {
		if m, err := money.Parse(s); !errors.Is(err, money.ErrOutOfRange) {
			t.Errorf("Parse(%.30s): %.30s, %v; want ErrOutOfRange", s, m.Decimal().String(), err)
		}
		var m money.Money
		err := json.Unmarshal([]byte(s), &m)
		if !errors.Is(err, money.ErrOutOfRange) {
			t.Errorf("UnmarshalJSON(%.30s): %v; want ErrOutOfRange", s, err)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("UnmarshalJSON(%.30s): the error repeats the whole number: %.300s…", s, err)
		}
	}
}

func TestParseAcceptsEveryAmountInRange(t *testing.T) {
	for _, s := range []string{
		"0", "19.5", "19.50", "-3", "1e3", "1E+3", "99999999999999999999", "0.00000000000000000001",
		"99999999999999999999.99999999999999999999", "1.5e-19", "12e18",
	} {
		if _, err := money.Parse(s); err != nil {
			t.Errorf("Parse(%s): %v", s, err)
		}
		var m money.Money
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Errorf("UnmarshalJSON(%s): %v", s, err)
		}
	}
}

// FuzzParse feeds arbitrary text to both of money's parsers: never a
// panic, both agree, and what they accept is within the bounds, so that
// comparing, truncating and printing it is cheap.
func FuzzParse(f *testing.F) {
	for _, s := range append(hugeNumbers, "19.50", "0.1", "-0", "1e3", "1.005", "", "1e", ".5", "5.", "1_000", "NaN", "Infinity", "0x10", "1e+5", "\u22121") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, perr := money.Parse(s)
		var j money.Money
		jerr := j.UnmarshalJSON([]byte(s))
		if jerr == nil && perr != nil {
			t.Fatalf("%.60q: JSON accepted %.30s, Parse refused: %v", s, j.Decimal().String(), perr)
		}
		if jerr == nil && !p.Equal(j) {
			t.Fatalf("%.60q: Parse %.30s, JSON %.30s", s, p.Decimal().String(), j.Decimal().String())
		}
		if perr != nil {
			return
		}
		d := p.Decimal()
		if d.NumDigits()+int(d.Exponent()) > money.MaxIntegerDigits || -int(d.Exponent()) > money.MaxDecimals {
			t.Fatalf("%.60q: accepted %.30s (%d digits, exponent %d)", s, d.String(), d.NumDigits(), d.Exponent())
		}
		_ = p.HasCents()
		_ = p.String()
	})
}
