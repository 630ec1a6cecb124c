// Command identity runs the identity service: the OpenID Connect provider
// that signs buyers and administrators in and issues the tokens the other
// services check. `identity healthcheck` asks a running instance whether it
// is ready; `identity settings` prints the environment variables it reads;
// `identity rotate-keys` makes a new signing key (README, "Key rotation").
package main

import (
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/identity/internal/service"
)

func main() { host.Main("identity", ":8085", service.New, service.RotateKeys) }
