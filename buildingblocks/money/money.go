// Package money is an amount of money as a decimal, never a float.
//
// Money wraps shopspring/decimal (exact decimal arithmetic) and adds what the
// services need around it: JSON as a plain number ({"price":19.50}, the wire
// contract), PostgreSQL NUMERIC through pgx, and the "at most two decimals"
// rule of the APIs.
package money

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// Money is an exact decimal amount. The zero value is 0.
type Money struct {
	d decimal.Decimal
}

// Zero is no money.
var Zero = Money{}

// The bounds of every amount Parse and UnmarshalJSON accept: at most
// MaxIntegerDigits digits before the decimal point and MaxDecimals after it
// (as written: 1.000 has 3 decimals), in a text of at most maxTextLen
// characters. They are far beyond any amount a service keeps (the largest
// column is NUMERIC(18,2)), and they are what makes an amount safe to
// handle: shopspring/decimal brings both operands of Cmp, Add or Truncate
// to the smaller exponent, computing 10^n, so 1e2147483647 or 1e-10000
// would cost gigabytes or seconds wherever it is first compared. Every
// entry point of an amount (a request, an event, the admin form) parses it
// here, so the bound is checked once, before any arithmetic.
const (
	MaxIntegerDigits = 20
	MaxDecimals      = 20
	maxTextLen       = 64
)

// ErrOutOfRange is the error of a number beyond the bounds above.
var ErrOutOfRange = errors.New("money: out of range")

// parse reads text as a decimal within the bounds, or returns an error that
// quotes at most the first characters of it.
func parse(text string) (Money, error) {
	if len(text) > maxTextLen {
		return Money{}, fmt.Errorf("%w: %.20s… has more than %d characters", ErrOutOfRange, text, maxTextLen)
	}
	if i := strings.IndexAny(text, "eE"); i >= 0 {
		// An exponent far beyond the bounds is refused as such before
		// decimal parses it (it refuses some, as "not numeric").
		exp, err := strconv.ParseInt(text[i+1:], 10, 64)
		if err != nil && errors.Is(err, strconv.ErrRange) || exp > maxTextLen+MaxIntegerDigits || exp < -maxTextLen-MaxDecimals {
			return Money{}, fmt.Errorf("%w: the exponent of %s is beyond ±%d", ErrOutOfRange, text, maxTextLen+MaxDecimals)
		}
	}
	d, err := decimal.NewFromString(text)
	if err != nil {
		return Money{}, fmt.Errorf("money: %q is not a decimal number", text)
	}
	digits, exp := d.NumDigits(), int(d.Exponent())
	if digits+exp > MaxIntegerDigits || -exp > MaxDecimals {
		return Money{}, fmt.Errorf("%w: %s has more than %d digits before the decimal point or %d after it",
			ErrOutOfRange, text, MaxIntegerDigits, MaxDecimals)
	}
	return Money{d}, nil
}

// Parse reads a decimal such as "19.5" or "19.50", within the bounds
// (ErrOutOfRange).
func Parse(s string) (Money, error) { return parse(s) }

// MustParse is Parse for constants in code and tests; it panics on error.
func MustParse(s string) Money {
	m, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return m
}

// FromCents returns cents/100.
func FromCents(cents int64) Money { return Money{decimal.New(cents, -2)} }

// Add returns m + o.
func (m Money) Add(o Money) Money { return Money{m.d.Add(o.d)} }

// Sub returns m - o.
func (m Money) Sub(o Money) Money { return Money{m.d.Sub(o.d)} }

// Times returns m * n, e.g. a unit price times a quantity.
func (m Money) Times(n int64) Money { return Money{m.d.Mul(decimal.NewFromInt(n))} }

// Cmp compares m and o: -1, 0 or +1.
func (m Money) Cmp(o Money) int { return m.d.Cmp(o.d) }

// Equal reports whether m and o are the same amount (19.5 equals 19.50).
func (m Money) Equal(o Money) bool { return m.d.Equal(o.d) }

// IsPositive reports whether m > 0.
func (m Money) IsPositive() bool { return m.d.IsPositive() }

// IsNegative reports whether m < 0.
func (m Money) IsNegative() bool { return m.d.IsNegative() }

// HasCents reports whether m has at most two decimal places (19.50 does,
// 19.505 does not).
func (m Money) HasCents() bool { return m.d.Equal(m.d.Truncate(2)) }

// String formats m with two decimals: "19.50".
func (m Money) String() string { return m.d.StringFixed(2) }

// Decimal returns the underlying decimal.
func (m Money) Decimal() decimal.Decimal { return m.d }

// MarshalJSON writes m as a JSON number with two decimals.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(m.d.StringFixed(2)), nil }

// UnmarshalJSON reads a JSON number within the bounds (ErrOutOfRange). A string, a boolean or null is an error,
// so that a bad request is told so instead of being read as zero.
func (m *Money) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == '"' || bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte("true")) || bytes.Equal(b, []byte("false")) {
		return errors.New("money: want a JSON number")
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("money: want a JSON number")
	}
	v, err := parse(n.String())
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ScanNumeric lets pgx read a NUMERIC column into m.
func (m *Money) ScanNumeric(n pgtype.Numeric) error {
	if !n.Valid {
		return errors.New("money: NULL")
	}
	if n.NaN || n.InfinityModifier != pgtype.Finite {
		return errors.New("money: not a finite number")
	}
	m.d = decimal.NewFromBigInt(n.Int, n.Exp)
	return nil
}

// NumericValue lets pgx write m to a NUMERIC column.
func (m Money) NumericValue() (pgtype.Numeric, error) {
	return pgtype.Numeric{Int: m.d.Coefficient(), Exp: m.d.Exponent(), Valid: true}, nil
}
