package events_test

import (
	"context"
	"log/slog"
	"math"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
	"github.com/eshop-go/eshop-go/services/basket/internal/events"
	"github.com/jackc/pgx/v5"
)

// effects is a store that records what the handlers asked of it, so that
// a fuzz test can tell whether an event had an effect.
type effects struct {
	follow  *basket.PriceFollow
	deleted *string
}

func (s *effects) LockProductPrice(context.Context, pgx.Tx, int64) (basket.ProductPrice, error) {
	return basket.ProductPrice{}, nil
}

func (s *effects) FollowPrice(_ context.Context, _ pgx.Tx, f basket.PriceFollow) (int64, error) {
	s.follow = &f
	return 0, nil
}

func (s *effects) DeleteBasket(_ context.Context, _ pgx.Tx, buyerID string) error {
	s.deleted = &buyerID
	return nil
}

func (s *effects) Reached() bool { return s.follow != nil || s.deleted != nil }

// newHandlers returns the basket's handlers over fresh effects.
func newHandlers() (*events.Handlers, *effects) {
	s := &effects{}
	return &events.Handlers{Store: s, Logger: slog.New(slog.DiscardHandler)}, s
}

// Whatever arrives as a price change either is refused as invalid before
// any effect, or moves lines to a positive price of a product in range
// with a plausible version.
func FuzzProductPriceChanged(f *testing.F) {
	testkit.FuzzHandler(f, []string{
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":7,"NewPrice":19.50,"OldPrice":21.00}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":7,"NewPrice":19.50,"OldPrice":21.00,"PriceVersion":4}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":7,"NewPrice":0,"OldPrice":21.00}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":7,"NewPrice":0.01,"OldPrice":21.00,"PriceVersion":4611686018427387904}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":2147483648,"NewPrice":1,"OldPrice":2}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":7,"NewPrice":1.005,"OldPrice":2}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":7,"NewPrice":1e2147483647,"OldPrice":2}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":7,"NewPrice":1,"OldPrice":1e-10000}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":7,"NewPrice":9e9999,"OldPrice":2}`,
		`{"ProductId":7,"NewPrice":12,"OldPrice":10}`,
		`{"Id":"00000000-0000-0000-0000-000000000000","ProductId":7,"NewPrice":12,"OldPrice":10}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","ProductId":"7"}`,
		`[]`,
	}, newHandlers, (*events.Handlers).FollowPriceChange, func(t *testing.T, body []byte, s *effects) {
		if s.follow == nil {
			return
		}
		p := s.follow
		if p.ProductID < 1 || p.ProductID > math.MaxInt32 || !p.To.Price.IsPositive() || !p.To.Price.HasCents() ||
			!p.From.IsPositive() || p.To.Version < 0 || p.To.Version > basket.MaxPriceVersion {
			t.Fatalf("%s was applied as %+v", body, *p)
		}
	})
}

// Whatever arrives as an order started either is refused as invalid, or
// deletes the basket of a valid buyer id.
func FuzzOrderStarted(f *testing.F) {
	testkit.FuzzHandler(f, []string{
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","UserId":"alice"}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","UserId":""}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21","UserId":"a\u0000b"}`,
		`{"Id":"6f1c5b4e-1f7a-4c59-9a43-0d2c3a8f1e21"}`,
		`{"UserId":"alice"}`,
	}, newHandlers, (*events.Handlers).DeleteOrderedBasket, func(t *testing.T, body []byte, s *effects) {
		if s.deleted != nil && basket.ValidateBuyerID(*s.deleted) != nil {
			t.Fatalf("%s deleted the basket of %q", body, *s.deleted)
		}
	})
}
