package signin

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/oauth2"
)

// tokens are a user's tokens as the session keeps them, sealed.
type tokens struct {
	*oauth2.Token
	IDToken string `json:"idToken"`
}

// keep seals token and the raw ID token into the session.
func (o *OIDC) keep(ctx context.Context, token *oauth2.Token, idToken string) error {
	plain, err := json.Marshal(tokens{Token: token, IDToken: idToken})
	if err != nil {
		return err
	}
	o.sessions.Put(ctx, keyTokens, o.seal.seal(plain))
	return nil
}

// tokens opens the session's tokens; ErrSignedOut when it has none, or
// none this key opens.
func (o *OIDC) tokens(ctx context.Context) (tokens, error) {
	sealed := o.sessions.GetBytes(ctx, keyTokens)
	if sealed == nil {
		return tokens{}, ErrSignedOut
	}
	plain, err := o.seal.open(sealed)
	if err != nil {
		return tokens{}, ErrSignedOut
	}
	var t tokens
	if err := json.Unmarshal(plain, &t); err != nil || t.Token == nil {
		return tokens{}, ErrSignedOut
	}
	return t, nil
}

// sealer seals the tokens kept in the session store with AES-GCM under a
// key derived from SESSION_KEY, so that the store (memory now, a shared
// store for several replicas later) holds nothing usable without the key.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) == 0 {
		return nil, errors.New("signin: no key to seal the tokens with")
	}
	k := sha256.Sum256(append([]byte("webapp session tokens|"), key...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, nil)
}

func (s *sealer) open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("sealed tokens too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], nil)
}
