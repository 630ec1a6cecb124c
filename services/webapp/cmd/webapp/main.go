// Command webapp runs the storefront on :8080: the web shop's pages over
// the shop's APIs, the sign-in at identity, and the order statuses live
// from the event bus. `webapp healthcheck` asks a running instance whether
// it is ready (for container health checks); `webapp settings` prints the
// environment variables it reads.
package main

import (
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/webapp/internal/service"
)

func main() { host.Main("webapp", ":8080", service.New) }
