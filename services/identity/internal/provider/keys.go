package provider

import (
	"context"
	"errors"

	"github.com/eshop-go/eshop-go/services/identity/internal/postgres"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// signingKey is a postgres.SigningKey as the library signs with it, and
// publishes its public half.
type signingKey struct{ postgres.SigningKey }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k signingKey) Algorithm() jose.SignatureAlgorithm          { return jose.ES256 }
func (k signingKey) ID() string                                  { return k.SigningKey.ID }
func (k signingKey) Use() string                                 { return "sig" }

// Key is the private key for SigningKey and the public one for KeySet: the
// library calls Key on both.
func (k signingKey) Key() any { return k.Private }

type publicKey struct{ signingKey }

func (k publicKey) Key() any { return &k.Private.PublicKey }

// SigningKey returns the current key: the newest.
func (s *Storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	keys, err := s.store.PublishedSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("no signing key yet")
	}
	return signingKey{keys[0]}, nil
}

func (s *Storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

// KeySet returns the public halves of the published keys: the current and
// the previous.
func (s *Storage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, err := s.store.PublishedSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	set := make([]op.Key, len(keys))
	for i, k := range keys {
		set[i] = publicKey{signingKey{k}}
	}
	return set, nil
}
