package web

import (
	"strings"
	"testing"
)

// FuzzAdminPrice feeds arbitrary text to the admin form's price: never a
// panic, and what it accepts is a price catalog takes (above 0, at most
// maxPrice, 2 decimals at most). Numbers such as 1e2147483647 are refused
// by money's parsing before any comparison.
func FuzzAdminPrice(f *testing.F) {
	for _, seed := range []string{
		"12.50", "0", "-1", "1.005", "1000000000", "1000000000.01", "1e9", "abc", "", " 1", "1,5",
		"1e2147483647", "1e-2147483648", "9e9999", "1e-10000", "0e-9999", "1" + strings.Repeat("0", 100000),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		price, ok := parsePrice(text)
		if ok && (!price.IsPositive() || !price.HasCents() || price.Cmp(maxPrice) > 0) {
			t.Fatalf("%.40q accepted as %s", text, price)
		}
	})
}
