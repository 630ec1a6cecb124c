package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lineState is a basket line as a price change sees it, written
// "unit/old/version": "12.00/10.00/v2", "8.00/-/-" (no old price, no
// catalog version).
type lineState string

func (l lineState) parts() (unit, old, version string) {
	p := strings.Split(string(l), "/")
	return p[0], p[1], p[2]
}

// follow is the rule basket.PriceFollow documents, line by line: whether
// the line follows, and what the store's one UPDATE must make of it.
func follow(f basket.PriceFollow, l lineState) (lineState, bool) {
	unit, old, version := l.parts()
	v, _ := strconv.ParseInt(strings.TrimPrefix(version, "v"), 10, 64)
	tracked := version != "-"
	if !(tracked && v < f.VersionBelow) && !(money.MustParse(unit).Equal(f.From) && (!tracked || f.Unversioned)) {
		return l, false
	}
	to := f.To.Price.String()
	switch {
	case f.To.OldPrice != nil:
		old = f.To.OldPrice.String()
	case !money.MustParse(unit).Equal(f.To.Price):
		old = unit
	}
	if !f.Unversioned {
		version = fmt.Sprintf("v%d", f.To.Version)
	}
	return lineState(to + "/" + old + "/" + version), true
}

// TestStoreAppliesWhatTheDomainDecides puts lines and a known product price
// straight in the tables, applies a price change as the handler does
// (LockProductPrice, PriceChange.Follow, FollowPrice), and checks that the
// store's UPDATE moved exactly the lines the domain's decision says, to
// where it says, and kept its latest price; and, against the table, that
// the decision is the rule: lines end at the price catalog committed last.
// Product 7's catalog prices are v1 10.00, v2 12.00, v3 15.00.
func TestStoreAppliesWhatTheDomainDecides(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	// v is the known price at version, after old ("" when the price
	// before it is unknown: kept before the store recorded it).
	v := func(version int64, price, old string) basket.ProductPrice {
		p := basket.ProductPrice{Price: money.MustParse(price), Version: version}
		if old != "" {
			o := money.MustParse(old)
			p.OldPrice = &o
		}
		return p
	}
	cases := []struct {
		name   string
		known  basket.ProductPrice // the zero one: none known
		change basket.PriceChange
		lines  []lineState
		want   []lineState
	}{
		{"in order", v(1, "10.00", "9.00"), priceChange(7, "10.00", "12.00", 2),
			[]lineState{"10.00/-/v1", "10.00/-/-", "12.00/-/v1", "11.00/-/-"},
			[]lineState{"12.00/10.00/v2", "12.00/10.00/v2", "12.00/10.00/v2", "11.00/-/-"}},
		{"reversed: the newer change first", basket.ProductPrice{}, priceChange(7, "12.00", "15.00", 3),
			[]lineState{"10.00/-/-"},
			[]lineState{"10.00/-/-"}},
		{"reversed: the older change after the newer", v(3, "15.00", "12.00"), priceChange(7, "10.00", "12.00", 2),
			[]lineState{"10.00/-/-", "12.00/10.00/v2", "15.00/-/v3"},
			[]lineState{"15.00/12.00/v3", "15.00/12.00/v3", "15.00/-/v3"}},
		{"reversed, the price before the newer one unknown", v(3, "15.00", ""), priceChange(7, "10.00", "12.00", 2),
			[]lineState{"10.00/-/-", "12.00/10.00/v2", "15.00/-/v3"},
			[]lineState{"15.00/10.00/v3", "15.00/12.00/v3", "15.00/-/v3"}},
		{"duplicate", v(2, "12.00", "10.00"), priceChange(7, "10.00", "12.00", 2),
			[]lineState{"12.00/10.00/v2", "10.00/-/-"},
			[]lineState{"12.00/10.00/v2", "12.00/10.00/v2"}},
		{"custom buyer price", v(1, "10.00", "9.00"), priceChange(7, "10.00", "12.00", 2),
			[]lineState{"8.00/-/-", "10.00/-/v1"},
			[]lineState{"8.00/-/-", "12.00/10.00/v2"}},
		{"unversioned: the plain eShop rule", basket.ProductPrice{}, priceChange(7, "10.00", "12.00", 0),
			[]lineState{"10.00/-/-", "10.00/-/v0", "11.00/-/-", "10.00/9.00/v1"},
			[]lineState{"12.00/10.00/-", "12.00/10.00/v0", "11.00/-/-", "12.00/10.00/v1"}},
		{"unversioned after a versioned change", v(3, "15.00", "12.00"), priceChange(7, "15.00", "16.00", 0),
			[]lineState{"15.00/12.00/v3", "10.00/-/-"},
			[]lineState{"16.00/15.00/v3", "10.00/-/-"}},
		{"versioned after unversioned ones", v(0, "10.00", "9.00"), priceChange(7, "11.00", "12.00", 1),
			[]lineState{"10.00/-/v0", "10.00/-/-", "11.00/-/-"},
			[]lineState{"12.00/11.00/v1", "10.00/-/-", "12.00/11.00/v1"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			c.change.ProductID = int64(100 + i) // a product and a buyer of the case's own
			buyer := fmt.Sprintf("case-%d", i)
			if c.known != (basket.ProductPrice{}) {
				if _, err := pool.Exec(ctx, `INSERT INTO product_prices (product_id, version, price, old_price) VALUES ($1, $2, $3, $4)`,
					c.change.ProductID, c.known.Version, c.known.Price, c.known.OldPrice); err != nil {
					t.Fatal(err)
				}
			}
			putLines(t, pool, buyer, c.change.ProductID, c.lines)

			decision := c.change.Follow(c.known)
			moved := change(t, s, pool, c.change)

			got, latest := readLines(t, pool, buyer, c.change.ProductID)
			var follows int64
			for j, l := range c.lines {
				want, ok := follow(decision, l)
				if ok {
					follows++
				}
				if got[j] != want {
					t.Errorf("line %d %s: the store made it %s, the domain's decision %+v says %s", j, l, got[j], decision, want)
				}
				if got[j] != c.want[j] {
					t.Errorf("line %d %s: %s, want %s", j, l, got[j], c.want[j])
				}
			}
			if moved != follows {
				t.Errorf("the store moved %d lines, the decision says %d follow", moved, follows)
			}
			if !latest.Equal(decision.Latest) {
				t.Errorf("the store keeps %s as the latest price, the decision says %s", latest, decision.Latest)
			}
		})
	}
}

// TestStoreAppliesWhatTheDomainDecidesInAnyOrder applies the changes of a
// catalog that went 50 → 51 → 52 → 53 → 54 → 55 (versions 1 to 5) in every
// order, checking at each step that the store moved the lines as the
// domain decided; lines at a catalog price end at 55, was 54 (docs/events.md
// flow 1), the buyer's own price is left alone.
func TestStoreAppliesWhatTheDomainDecidesInAnyOrder(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	var changes []basket.PriceChange
	for v := range int64(5) {
		changes = append(changes, priceChange(0, fmt.Sprintf("%d.00", 50+v), fmt.Sprintf("%d.00", 51+v), v+1))
	}
	for k, order := range testkit.Permutations(len(changes)) {
		product, buyer := int64(1000+k), fmt.Sprintf("order-%d", k)
		lines := []lineState{"50.00/-/-", "53.00/-/-", "8.00/-/-"}
		putLines(t, pool, buyer, product, lines)
		var known basket.ProductPrice
		for _, i := range order {
			c := changes[i]
			c.ProductID = product
			decision := c.Follow(known)
			change(t, s, pool, c)
			got, latest := readLines(t, pool, buyer, product)
			for j, l := range lines {
				if want, _ := follow(decision, l); got[j] != want {
					t.Fatalf("versions in the order %v, v%d: line %s: the store made it %s, the domain's decision %+v says %s", versionsOf(order), c.Version, l, got[j], decision, want)
				}
			}
			if !latest.Equal(decision.Latest) {
				t.Fatalf("versions in the order %v, v%d: the store keeps %s as the latest price, the decision says %s", versionsOf(order), c.Version, latest, decision.Latest)
			}
			lines, known = got, latest
		}
		if want := []lineState{"55.00/54.00/v5", "55.00/54.00/v5", "8.00/-/-"}; !slices.Equal(lines, want) {
			t.Errorf("versions in the order %v: %v, want %v", versionsOf(order), lines, want)
		}
	}
}

// versionsOf names the changes of order (indexes 0 to 4) by their
// versions, 1 to 5.
func versionsOf(order []int) []int {
	out := make([]int, len(order))
	for i, j := range order {
		out[i] = j + 1
	}
	return out
}

// putLines writes lines of product at the given states in buyer's basket,
// in order.
func putLines(t *testing.T, pool *pgxpool.Pool, buyer string, product int64, lines []lineState) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO baskets (buyer_id) VALUES ($1)`, buyer); err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		unit, old, version := l.parts()
		var oldPrice *money.Money
		if old != "-" {
			p := money.MustParse(old)
			oldPrice = &p
		}
		var catalogVersion *int64
		if version != "-" {
			v, err := strconv.ParseInt(strings.TrimPrefix(version, "v"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			catalogVersion = &v
		}
		if _, err := pool.Exec(ctx, `
			INSERT INTO basket_lines (id, buyer_id, position, product_id, product_name, unit_price, old_unit_price, quantity, catalog_version)
			VALUES ($1, $2, $3, $4, 'product', $5, $6, 1, $7)`,
			uuid.New(), buyer, i, product, money.MustParse(unit), oldPrice, catalogVersion); err != nil {
			t.Fatal(err)
		}
	}
}

// readLines returns the states of the buyer's lines, in order, and the
// product's known price (the zero ProductPrice when none is).
func readLines(t *testing.T, pool *pgxpool.Pool, buyer string, product int64) ([]lineState, basket.ProductPrice) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `
		SELECT unit_price::text || '/' || coalesce(old_unit_price::text, '-') || '/' || coalesce('v' || catalog_version, '-')
		FROM basket_lines WHERE buyer_id = $1 ORDER BY position`, buyer)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[lineState])
	if err != nil {
		t.Fatal(err)
	}
	var p basket.ProductPrice
	err = pool.QueryRow(ctx, `SELECT price, version, old_price FROM product_prices WHERE product_id = $1`, product).
		Scan(&p.Price, &p.Version, &p.OldPrice)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
	return lines, p
}
