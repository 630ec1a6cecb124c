package provider

import (
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// LoggedOutPath is where end session sends a user whose client named no
// post-logout redirect URI.
const LoggedOutPath = "/logged-out"

// New returns the OpenID Connect provider at issuer (its public URL), with
// storage, and the handler of its endpoints (see server). cryptoKey
// encrypts what the library hands out opaque. A plain http issuer is
// allowed (development: the compose and local setups).
//
// The library logs through slog's default logger, which host.Main makes
// the service's.
func New(issuer string, storage *Storage, cryptoKey [32]byte) (*op.Provider, http.Handler, error) {
	config := &op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: LoggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.English},
	}
	var opts []op.Option
	if strings.HasPrefix(issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	p, err := op.NewProvider(config, storage, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, nil, err
	}
	s := server{LegacyServer: op.NewLegacyServer(p, *op.DefaultEndpoints), provider: p}
	return p, op.RegisterLegacyServer(s, op.AuthorizeCallbackHandler(p)), nil
}
