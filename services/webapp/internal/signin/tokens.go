package signin

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/oauth2"
)

// sealTokens seals token for a grant.
func (o *OIDC) sealTokens(token *oauth2.Token) ([]byte, error) {
	plain, err := json.Marshal(token)
	if err != nil {
		return nil, err
	}
	return o.seal.seal(plain), nil
}

// openTokens opens a grant's tokens; ErrSignedOut when there are none, or
// none this key opens.
func (o *OIDC) openTokens(sealed []byte) (*oauth2.Token, error) {
	if sealed == nil {
		return nil, ErrSignedOut
	}
	plain, err := o.seal.open(sealed)
	if err != nil {
		return nil, ErrSignedOut
	}
	var t oauth2.Token
	if err := json.Unmarshal(plain, &t); err != nil {
		return nil, ErrSignedOut
	}
	return &t, nil
}

// sealer seals the tokens kept in the grants with AES-GCM under a key
// derived from SESSION_KEY, so that the memory holds nothing usable without
// the key (a heap dump, a shared store for several replicas later).
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
