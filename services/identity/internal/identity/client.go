package identity

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Client is an application that may ask for tokens. One with redirect URIs
// signs users in with the authorization code flow: confidential with a
// secret (the storefront), public without one (the command-line demo), in
// which case PKCE with S256 is required. One without redirect URIs is a
// machine client: it gets tokens for itself with its secret (client
// credentials), with Roles as its roles.
type Client struct {
	ID                     string   `json:"id"`
	Secret                 string   `json:"secret,omitempty"`
	RedirectURIs           []string `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	Roles                  []string `json:"roles,omitempty"`
}

// Public reports whether the client has no secret (it cannot keep one).
func (c Client) Public() bool { return c.Secret == "" }

// Machine reports whether the client gets tokens only for itself.
func (c Client) Machine() bool { return len(c.RedirectURIs) == 0 }

// Clients is the list of clients, read from a JSON array (the setting
// IDENTITY_CLIENTS).
type Clients []Client

// UnmarshalText reads the JSON array and checks every client.
func (cs *Clients) UnmarshalText(text []byte) error {
	var list []Client
	if err := json.Unmarshal(text, &list); err != nil {
		return fmt.Errorf("not a JSON array of clients: %w", err)
	}
	seen := map[string]bool{}
	for _, c := range list {
		switch {
		case c.ID == "":
			return errors.New("a client has no id")
		case seen[c.ID]:
			return fmt.Errorf("client %q is listed twice", c.ID)
		case c.Machine() && c.Public():
			return fmt.Errorf("client %q has neither redirect URIs nor a secret", c.ID)
		}
		seen[c.ID] = true
	}
	*cs = list
	return nil
}

// ByID returns the client with the id.
func (cs Clients) ByID(id string) (Client, bool) {
	for _, c := range cs {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}
