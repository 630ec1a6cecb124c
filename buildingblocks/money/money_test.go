package money_test

import (
	"encoding/json"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

func TestJSONIsANumberWithTwoDecimals(t *testing.T) {
	b, err := json.Marshal(struct{ Price money.Money }{money.MustParse("19.5")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"Price":19.50}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	var v struct{ Price money.Money }
	if err := json.Unmarshal([]byte(`{"Price":0.1}`), &v); err != nil {
		t.Fatal(err)
	}
	if !v.Price.Add(money.MustParse("0.2")).Equal(money.MustParse("0.3")) {
		t.Fatalf("0.1 + 0.2 = %s, want exactly 0.30", v.Price.Add(money.MustParse("0.2")))
	}
}

func TestUnmarshalRejectsWhatIsNotANumber(t *testing.T) {
	for _, in := range []string{`"19.5"`, `null`, `true`, `{}`, `[1]`} {
		var m money.Money
		if err := json.Unmarshal([]byte(in), &m); err == nil {
			t.Errorf("%s: no error, want one", in)
		}
	}
}

func TestHasCents(t *testing.T) {
	for in, want := range map[string]bool{"19": true, "19.5": true, "19.50": true, "19.505": false, "0.001": false} {
		if got := money.MustParse(in).HasCents(); got != want {
			t.Errorf("%s: HasCents = %v, want %v", in, got, want)
		}
	}
}

func TestArithmetic(t *testing.T) {
	total := money.MustParse("19.99").Times(3).Add(money.FromCents(3))
	if got := total.String(); got != "60.00" {
		t.Fatalf("19.99*3 + 0.03 = %s, want 60.00", got)
	}
}
