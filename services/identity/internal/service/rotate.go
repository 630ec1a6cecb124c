package service

import (
	"context"
	"fmt"
	"io"

	"github.com/eshop-go/eshop-go/buildingblocks/host"
	bbpostgres "github.com/eshop-go/eshop-go/buildingblocks/postgres"
	"github.com/eshop-go/eshop-go/services/identity/internal/postgres"
)

// RotateKeys is `identity rotate-keys`: from now on a new key signs, on
// every running instance (they read the key from the database for each
// token); the previous key stays in the JWKS until the next rotation, so
// the tokens it signed validate until they expire.
var RotateKeys = host.Command[Config]{
	Name: "rotate-keys",
	Run: func(ctx context.Context, cfg Config, stdout io.Writer) error {
		db, err := bbpostgres.NewPool(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		keySeal := cfg.KeySeal
		if keySeal == "" {
			keySeal = demoKeySeal
		}
		if err := postgres.NewStore(db, []byte(keySeal)).RotateKeys(ctx); err != nil {
			return fmt.Errorf("rotate the signing key (has the service started once on this database?): %w", err)
		}
		_, err = fmt.Fprintln(stdout, "rotated: a new key signs; the previous one stays in the JWKS until the next rotation")
		return err
	},
}
