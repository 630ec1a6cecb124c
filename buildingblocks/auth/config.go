package auth

// Config is whom a service trusts: the settings every service reads
// (host.Config embeds it).
type Config struct {
	// Issuer is the issuer's URL, exactly as the tokens' iss claim names
	// it; its discovery document is at Issuer/.well-known/openid-configuration.
	Issuer string `env:"AUTH_ISSUER" envDefault:"http://localhost:8085"`
	// Audience must be among a token's aud.
	Audience string `env:"AUTH_AUDIENCE" envDefault:"eshop"`
	// JWKSURL, when set, is where the issuer's keys are, and discovery is
	// not needed: inside compose or Kubernetes the public issuer URL is
	// not the address a container reaches.
	JWKSURL string `env:"AUTH_JWKS_URL"`
}
