package money_test

import (
	"context"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/jackc/pgx/v5"
)

func TestNumericRoundTripThroughPostgres(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testkit.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	in := money.MustParse("1234567.89")
	var out money.Money
	if err := conn.QueryRow(ctx, "SELECT $1::numeric(12,2) + 0.01", in).Scan(&out); err != nil {
		t.Fatal(err)
	}
	if want := money.MustParse("1234567.90"); !out.Equal(want) {
		t.Fatalf("got %s, want %s", out, want)
	}
}
